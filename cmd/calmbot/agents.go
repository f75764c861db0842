package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/calmbot/calmbot/handoff"
)

const agentsUsage = `Usage:
  calmbot agents add [--skills a,b] [--capacity N] [--password-stdin] [--db FILE] NAME
  calmbot agents list [--db FILE]
  calmbot agents link [--name "Shown Name"] [--db FILE] NAME PLATFORM:USERID
  calmbot agents unlink [--db FILE] PLATFORM:USERID
  calmbot agents passwd [--password-stdin] [--db FILE] NAME
  calmbot agents remove [--db FILE] NAME

Agents log in to the desk at /desk. Skills route handoffs ("*" takes any);
capacity is how many conversations an agent holds at once. Without
--password-stdin a password is generated and printed once. Agents can
also change their own password in the desk, at /desk/account.

link makes a chat platform's user (telegram:12345, slack:U0123) the desk
agent NAME, so the person is one agent on the desk and on the platform's
agent surface: claims, replies and metrics name the same agent. A platform
surface may also provision agents for the members of its agent group; such
an agent has no desk password until one is set with passwd. list shows
each agent's links.

The commands work while the server runs on the same database, and take
effect at once: a new agent can log in, a changed password ends every desk
session of the agent (the old password stops working), a removed agent's
sessions end and the conversations they held go back to the queue.
`

func (e *env) agents(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(e.stdout, agentsUsage)
		if len(args) == 0 {
			return &exitError{code: 2}
		}
		return nil
	}
	sub := args[0]
	fs := flag.NewFlagSet("agents "+sub, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), agentsUsage, "\nFlags:\n"); fs.PrintDefaults() }
	db := fs.String("db", "", "the `database`: a SQLite file or sqlite:FILE (one calmbot at a time), or postgres://... (several instances) (default $CALMBOT_DATABASE_URL, else $CALMBOT_DB, else calmbot.db)")
	fs.StringVar(db, "database", "", "the same as --db")
	skills := fs.String("skills", "*", "comma-separated `skills`")
	capacity := fs.Int("capacity", 3, "conversations held at once")
	stdinPW := fs.Bool("password-stdin", false, "read the password from the first line of stdin")
	shown := fs.String("name", "", "the platform user's `name` as shown (link)")
	rest, err := e.parseFlags(fs, args[1:], "agents")
	if err != nil {
		return helpOK(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := openStore(ctx, e.dbPath(*db), log)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := handoff.New(ctx, st, nil, handoff.WithLogger(log))
	if err != nil {
		return err
	}
	password := func() (string, bool, error) {
		if !*stdinPW {
			return randomPassword(), true, nil
		}
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", false, &exitError{code: 1, msg: "no password on stdin"}
		}
		return strings.TrimRight(line, "\r\n"), false, nil
	}
	switch sub {
	case "add", "passwd":
		if len(rest) != 1 {
			return &exitError{code: 2, msg: fmt.Sprintf("agents %s needs one NAME", sub)}
		}
		name := rest[0]
		pw, generated, err := password()
		if err != nil {
			return err
		}
		if sub == "add" {
			var sk []string
			for _, s := range strings.Split(*skills, ",") {
				if s = strings.TrimSpace(s); s != "" {
					sk = append(sk, s)
				}
			}
			a, err := svc.AddAgent(ctx, name, pw, sk, *capacity)
			if err != nil {
				return &exitError{code: 1, msg: fmt.Sprintf("add agent: %v", err)}
			}
			fmt.Fprintf(e.stdout, "added agent %s (skills %s, capacity %d)\n", a.ID, strings.Join(a.Skills, ","), a.Capacity)
		} else if a, err := svc.SetPassword(ctx, name, pw); err != nil {
			return &exitError{code: 1, msg: fmt.Sprintf("set password: %v", err)}
		} else {
			fmt.Fprintf(e.stdout, "changed the password of %s; their desk sessions ended\n", a.ID)
		}
		if generated {
			fmt.Fprintf(e.stdout, "password: %s\n", pw)
		}
		return nil
	case "remove":
		if len(rest) != 1 {
			return &exitError{code: 2, msg: "agents remove needs one NAME"}
		}
		name := strings.ToLower(strings.TrimSpace(rest[0]))
		// Only the account goes here: the server that runs (or the next
		// one to start) gives the agent's conversations back to the queue.
		if err := st.RemoveAgent(ctx, name); errors.Is(err, handoff.ErrNotFound) {
			return &exitError{code: 1, msg: fmt.Sprintf("remove agent: no agent %q", name)}
		} else if err != nil {
			return &exitError{code: 1, msg: fmt.Sprintf("remove agent: %v", err)}
		}
		fmt.Fprintf(e.stdout, "removed agent %s; their desk sessions ended and their conversations go back to the queue\n", name)
		return nil
	case "link":
		if len(rest) != 2 {
			return &exitError{code: 2, msg: "agents link needs NAME PLATFORM:USERID"}
		}
		id, err := handoff.ParseIdentity(rest[1])
		if err != nil {
			return &exitError{code: 2, msg: fmt.Sprintf("agents link: %v", err)}
		}
		id.Name = *shown
		if err := svc.Link(ctx, rest[0], id); err != nil {
			return &exitError{code: 1, msg: fmt.Sprintf("link agent: %v", err)}
		}
		fmt.Fprintf(e.stdout, "linked agent %s to %s\n", strings.ToLower(strings.TrimSpace(rest[0])), id)
		return nil
	case "unlink":
		if len(rest) != 1 {
			return &exitError{code: 2, msg: "agents unlink needs PLATFORM:USERID"}
		}
		id, err := handoff.ParseIdentity(rest[0])
		if err != nil {
			return &exitError{code: 2, msg: fmt.Sprintf("agents unlink: %v", err)}
		}
		if err := svc.Unlink(ctx, id.Platform, id.UserID); err != nil {
			return &exitError{code: 1, msg: fmt.Sprintf("unlink: %v", err)}
		}
		fmt.Fprintf(e.stdout, "unlinked %s\n", id)
		return nil
	case "list":
		links, err := svc.Identities(ctx)
		if err != nil {
			return &exitError{code: 1, msg: fmt.Sprintf("list links: %v", err)}
		}
		byAgent := map[string][]string{}
		for _, l := range links {
			s := l.Identity.String()
			if l.Name != "" {
				s += " (" + l.Name + ")"
			}
			byAgent[l.Agent] = append(byAgent[l.Agent], s)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSKILLS\tCAPACITY\tPRESENCE\tLINKS")
		for _, a := range svc.Agents() {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", a.ID, strings.Join(a.Skills, ","), a.Capacity, a.Presence, strings.Join(byAgent[a.ID], ", "))
		}
		return tw.Flush()
	}
	return &exitError{code: 2, msg: fmt.Sprintf("unknown agents subcommand %q", sub)}
}
