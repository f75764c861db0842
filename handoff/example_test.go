package handoff_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/flows"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/handofftest"
)

// Example wires a Service to an engine (the Service first, then the
// engine with it as escalator and listener, then SetEngine), hands a
// customer to a person, and lets the agent answer and give the
// conversation back to the bot.
func Example() {
	ctx := context.Background()
	f, err := flows.Load("../flows.yaml")
	if err != nil {
		panic(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	// In a server: handoff.New(ctx, sqliteStore, nil) and bot.New on the same sqlite store.
	svc, err := handoff.New(ctx, handofftest.NewStore(), nil, handoff.WithLogger(logger))
	if err != nil {
		panic(err)
	}
	eng, err := bot.New(ctx, bottest.NewStore(), f, bottest.Analyzer,
		bot.WithEscalator(svc), bot.WithListener(svc), bot.WithQuietWindow(0), bot.WithLogger(logger))
	if err != nil {
		panic(err)
	}
	defer eng.Close()
	svc.SetEngine(eng)
	sender := bottest.NewSender()
	eng.Register("web", sender)
	// A server runs both loops: go eng.Run(ctx); go svc.Run(ctx).

	if _, err := svc.AddAgent(ctx, "ada", "correct horse battery", []string{"delivery"}, 2); err != nil {
		panic(err)
	}
	addr := bot.Address{Channel: "web", Conversation: "visitor-1"}
	if err := eng.Handle(ctx, bot.Message{Address: addr, ID: "1", Text: "I want to talk to a human", Locale: "en"}); err != nil {
		panic(err)
	}

	agent, _ := svc.Authenticate(ctx, "ada", "correct horse battery")
	ticket, err := svc.Next(ctx, agent.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println("ticket:", ticket.Reason, ticket.Status, ticket.Owner)
	if err := svc.Reply(ctx, agent.ID, ticket.ID, "Hi, Ada here. How can I help?"); err != nil {
		panic(err)
	}
	if err := svc.Release(ctx, agent.ID, ticket.ID, "", ""); err != nil {
		panic(err)
	}
	_ = eng.Flush(ctx, addr)
	for _, r := range sender.Replies(addr) {
		who := "bot"
		if r.Author != "" {
			who = r.Author
		}
		fmt.Printf("%s: %s\n", who, r.Text)
	}
	// Output:
	// ticket: customer_request assigned ada
	// bot: I am bringing in a colleague who will take it from here. They will see everything you wrote, so there is no need to repeat anything.
	// agent:ada: Hi, Ada here. How can I help?
	// bot: Of course. What else can I do for you?
}

// ExampleService_Act is a platform's agent surface: it knows the agent
// behind a platform user (Provision, for a member of its agent group),
// shows every ticket from SubscribeAll, and turns taps and typed messages
// into Actions.
func ExampleService_Act() {
	ctx := context.Background()
	f, err := flows.Load("../flows.yaml")
	if err != nil {
		panic(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := handoff.New(ctx, handofftest.NewStore(), nil, handoff.WithLogger(logger))
	if err != nil {
		panic(err)
	}
	eng, err := bot.New(ctx, bottest.NewStore(), f, bottest.Analyzer,
		bot.WithEscalator(svc), bot.WithListener(svc), bot.WithQuietWindow(0), bot.WithLogger(logger))
	if err != nil {
		panic(err)
	}
	defer eng.Close()
	svc.SetEngine(eng)
	sender := bottest.NewSender()
	eng.Register("web", sender)

	updates, cancel := svc.SubscribeAll() // a surface posting every ticket into its group
	defer cancel()

	// A member of the agent group, verified by the surface.
	agent, err := svc.Provision(ctx, handoff.Identity{Platform: "telegram", UserID: "12345", Name: "Grace"})
	if err != nil {
		panic(err)
	}
	addr := bot.Address{Channel: "web", Conversation: "visitor-1"}
	if err := eng.Handle(ctx, bot.Message{Address: addr, ID: "1", Text: "I want to talk to a human", Locale: "en"}); err != nil {
		panic(err)
	}
	u := <-updates
	for u.Kind != handoff.UpdateQueue { // the agent's own update came first
		u = <-updates
	}
	fmt.Println("posted:", u.Kind, u.Ticket.Status, u.Ticket.Reason)

	for _, a := range []handoff.Action{
		{Kind: handoff.ActClaim, Ticket: u.TicketID},               // the Claim button
		handoff.ParseCommand(u.TicketID, "/note asked twice"),      // typed in the ticket's topic
		handoff.ParseCommand(u.TicketID, "Hi, Grace here. Sorry!"), // a reply
		{Kind: handoff.ActClose, Ticket: u.TicketID},               // the Close button
	} {
		res, err := svc.Act(ctx, agent.ID, a)
		if err != nil {
			panic(err)
		}
		fmt.Println(a.Kind, "->", res.Ticket.Status, res.Ticket.Owner)
	}
	_, err = svc.Act(ctx, agent.ID, handoff.Action{Kind: handoff.ActReply, Ticket: u.TicketID, Text: "still there?"})
	fmt.Println("after close:", errors.Is(err, handoff.ErrClosed))
	_ = eng.Flush(ctx, addr)
	for _, r := range sender.Replies(addr) {
		if r.Author != "" {
			fmt.Printf("%s: %s\n", r.Author, r.Text)
		}
	}
	// Output:
	// posted: queue queued customer_request
	// claim -> assigned telegram-12345
	// note -> assigned telegram-12345
	// reply -> assigned telegram-12345
	// close -> closed telegram-12345
	// after close: true
	// agent:telegram-12345: Hi, Grace here. Sorry!
}
