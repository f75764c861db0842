package handoff

import (
	"context"
	"fmt"
)

// RecentTickets returns up to limit closed tickets from the store, the
// latest closed first (for dashboards).
func (s *Service) RecentTickets(ctx context.Context, limit int) ([]*Ticket, error) {
	if limit < 1 {
		return nil, nil
	}
	ts, err := s.store.RecentTickets(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("recent tickets: %w", err)
	}
	return ts, nil
}
