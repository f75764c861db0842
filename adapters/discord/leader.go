package discord

import (
	"context"
	"errors"
	"time"

	dg "github.com/bwmarrin/discordgo"
)

// Leader elects the one instance that holds the gateway session among
// several sharing a bot token: Discord sends every event to every session
// of an unsharded bot, so two connected instances would both answer.
// store/postgres's Leader is one (an advisory lock).
type Leader interface {
	// Leading reports whether this instance leads now.
	Leading(ctx context.Context) bool
}

// DefaultLeaderCheck is how often an instance asks whether it leads: a
// dead instance's gateway session moves to another within it (and the
// time Discord takes to accept the new session).
const DefaultLeaderCheck = 2 * time.Second

// WithLeader makes the adapter open its gateway session only while l says
// this instance leads, asking every check: it opens one when it becomes
// the leader and closes it when it no longer is. Each lead starts a fresh
// session (an Identify, not a Resume of the previous leader's); its READY
// fetches, over REST, the messages of the active conversations (shared in
// WithState's store) after the last one stored, so what was sent while no
// instance held the gateway is handled by the new leader. A message both
// instances received during a handover is stored once by the engine.
// The staff channel (WithStaff) is shown by the leader too: it shows every
// open ticket again when it takes over. Sending is not affected: every
// instance sends over REST. A standby instance is ready (Ready reports
// nil) while it does not lead.
func WithLeader(l Leader, check time.Duration) Option {
	return func(a *Adapter) {
		a.leader, a.leaderCheck = l, check
		if a.leaderCheck <= 0 {
			a.leaderCheck = DefaultLeaderCheck
		}
	}
}

// leadLoop holds a gateway session, and runs the staff channel, while
// this instance leads, until ctx ends.
func (a *Adapter) leadLoop(ctx context.Context) {
	defer a.workers.Done()
	var (
		gw        *dg.Session
		stopStaff = func() {}
		leading   bool
		standby   bool // logged
	)
	defer func() {
		stopStaff()
		if gw != nil {
			a.closeGateway(gw)
		}
	}()
	tick := time.NewTicker(a.leaderCheck)
	defer tick.Stop()
	for {
		leads := a.leader.Leading(ctx)
		if ctx.Err() != nil {
			return
		}
		switch {
		case leads:
			if !leading {
				leading, standby = true, false
				stopStaff = a.startStaff(ctx)
			}
			if gw == nil && a.electsGateway() {
				gw = a.lead(ctx)
			}
		case leading || !standby:
			stopStaff()
			stopStaff = func() {}
			if gw != nil {
				a.closeGateway(gw)
				gw = nil
			}
			a.log.Info("discord: another instance leads (the gateway session, the staff channel); standing by", "check_every", a.leaderCheck)
			leading, standby = false, true
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// electsGateway says whether the leader alone holds the gateway session:
// with WithLeader and not sharded. A shard's session is always open; its
// leader runs only the staff channel.
func (a *Adapter) electsGateway() bool { return a.leader != nil && a.shardCount <= 1 }

// startStaff runs the staff channel (WithStaff) until the returned stop
// is called, which waits for it; one instance shows the tickets, or each
// would post every new one.
func (a *Adapter) startStaff(ctx context.Context) (stop func()) {
	if a.staff == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	a.workers.Add(1)
	go func() {
		defer close(done)
		a.staffLoop(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// lead opens a fresh gateway session for this instance, which has just
// become the leader; nil when it could not (asked again at the next
// check).
func (a *Adapter) lead(ctx context.Context) *dg.Session {
	// The previous leader may have started conversations since Start.
	if err := a.loadActive(ctx); err != nil {
		a.log.Warn("discord: active conversations not read; the gateway waits for the next check", "err", err)
		return nil
	}
	gw, err := a.newSession()
	if err != nil {
		a.log.Error("discord: gateway session not made", "err", err)
		return nil
	}
	a.setReady(errors.New("discord: gateway not connected yet"))
	if err := a.openGateway(gw); err != nil {
		_ = gw.Close()
		a.setReady(err)
		a.log.Error("discord: gateway not opened; trying again at the next check", "err", err, "check_every", a.leaderCheck)
		return nil
	}
	a.log.Info("discord: this instance leads and holds the gateway session")
	return gw
}

// closeGateway closes the leader's gateway session; the instance stays
// ready to send.
func (a *Adapter) closeGateway(gw *dg.Session) {
	if err := gw.Close(); err != nil {
		a.log.Warn("discord: close gateway", "err", err)
	}
	a.setReady(nil)
}

// WithShard makes the adapter's gateway session shard id of count
// (Discord's Identify shard [id, count]): Discord sends a server's events
// to shard (server id >> 22) % count and direct messages to shard 0, so
// count instances with the ids 0 to count-1 share the bot's events
// without an election. Every shard's (re)connect checks every active
// conversation for missed messages; one found by two shards is stored
// once. count 1 is one unsharded session. With WithLeader too, every
// shard holds its session and the leader only runs the staff channel.
func WithShard(id, count int) Option {
	return func(a *Adapter) { a.shardID, a.shardCount = id, count }
}
