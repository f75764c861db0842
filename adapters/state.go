package adapters

import (
	"context"

	"github.com/calmbot/calmbot/bot"
)

// Namespace returns the part of st that belongs to one adapter: its keys
// are stored as name + "/" + key, so adapters never read each other's
// values.
func Namespace(st bot.State, name string) bot.State {
	return namespaced{st: st, prefix: name + "/"}
}

type namespaced struct {
	st     bot.State
	prefix string
}

func (n namespaced) Get(ctx context.Context, key string) (string, error) {
	return n.st.Get(ctx, n.prefix+key)
}

func (n namespaced) Set(ctx context.Context, key, value string) error {
	return n.st.Set(ctx, n.prefix+key, value)
}
