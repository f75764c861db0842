package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	calmbot "github.com/calmbot/calmbot"
	"github.com/calmbot/calmbot/flows"
)

// The scaling bench (calmbot bench --scale DSN) runs `calmbot serve` in
// child processes, on SQLite (one instance), then on PostgreSQL with one
// instance and with two sharing the database, drives each setup with the
// same customers and prints, side by side, the messages per second, p99,
// and the CPU seconds per 1,000 messages of the calmbot processes and of
// the PostgreSQL server processes serving them. CPU is read from /proc
// (Linux): each process's utime and stime over the measured window.

// scaleSetup is one arrangement of servers the scaling bench measures.
type scaleSetup struct {
	name      string
	postgres  bool
	instances int
}

// scaleSetups are the setups measured, in order.
var scaleSetups = []scaleSetup{{"sqlite", false, 1}, {"postgres-1", true, 1}, {"postgres-2", true, 2}}

// scaleResult is what one setup measured.
type scaleResult struct {
	setup       scaleSetup
	res         *benchResult
	calmbotCPU  time.Duration // of every instance
	postgresCPU time.Duration // the database's server processes and PostgreSQL's own
	load        string
}

// cpuPer1000 is cpu per 1,000 of the result's messages, in seconds.
func (r scaleResult) cpuPer1000(cpu time.Duration) float64 {
	if r.res.Messages == 0 {
		return 0
	}
	return cpu.Seconds() * 1000 / float64(r.res.Messages)
}

// benchScale runs the scaling bench against the PostgreSQL server dsn
// names, on which it creates (and at the end drops) a database for each
// PostgreSQL setup and round.
func (e *env) benchScale(ctx context.Context, o benchOptions, dsn, flowsPath string, rounds int, warm time.Duration, pin bool) error {
	src, err := flowsSource(flowsPath)
	if err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	dir, err := os.MkdirTemp("", "calmbot-scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	quietFlows := filepath.Join(dir, "flows.yaml")
	if err := os.WriteFile(quietFlows, quietOff(src), 0o600); err != nil {
		return err
	}
	f, err := e.loadFlows(quietFlows)
	if err != nil {
		return err
	}
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("--scale: cannot connect to PostgreSQL: %v", err)}
	}
	defer admin.Close(context.WithoutCancel(ctx))
	var results [][]scaleResult
	for round := range rounds {
		var row []scaleResult
		for _, su := range scaleSetups {
			r, err := e.scaleRound(ctx, o, su, f, admin, dsn, dir, quietFlows, round, warm, pin)
			if err != nil {
				return fmt.Errorf("bench --scale: %s: %w", su.name, err)
			}
			r.res.Elapsed = r.res.Elapsed.Round(time.Millisecond)
			fmt.Fprintf(e.stderr, "round %d %-10s %6.0f msgs/s\n", round+1, su.name, r.res.PerSecond)
			row = append(row, r)
		}
		results = append(results, row)
	}
	printScale(e.stdout, o, pin, results)
	return nil
}

// scaleRound starts su's instances, warms them up, measures and stops them.
func (e *env) scaleRound(ctx context.Context, o benchOptions, su scaleSetup, f *flows.File, admin *pgx.Conn, dsn, dir, flowsFile string, round int, warm time.Duration, pin bool) (scaleResult, error) {
	db := filepath.Join(dir, fmt.Sprintf("r%d.db", round))
	var dbName string
	if su.postgres {
		dbName = fmt.Sprintf("calmbot_scale_%d_%d_%d", os.Getpid(), round, su.instances)
		if _, err := admin.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{dbName}.Sanitize()); err != nil {
			return scaleResult{}, fmt.Errorf("create database %s: %w", dbName, err)
		}
		defer func() {
			_, _ = admin.Exec(context.WithoutCancel(ctx), `DROP DATABASE IF EXISTS `+pgx.Identifier{dbName}.Sanitize()+` WITH (FORCE)`)
		}()
		var err error
		if db, err = withDatabase(dsn, dbName); err != nil {
			return scaleResult{}, err
		}
	}
	var (
		bases []string
		procs []*scaleProc
	)
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	for i := range su.instances {
		p, err := e.startScaleProc(ctx, db, flowsFile, filepath.Join(dir, fmt.Sprintf("r%d-%s-%d.log", round, su.name, i)), i, pin)
		if err != nil {
			return scaleResult{}, err
		}
		procs = append(procs, p)
		bases = append(bases, p.base)
	}
	if warm > 0 {
		wo := o
		wo.duration, wo.messages = warm, 0
		if _, err := runBench(ctx, bases, f, wo, nil, "", io.Discard); err != nil {
			return scaleResult{}, err
		}
	}
	pids := make([]int, len(procs))
	for i, p := range procs {
		pids[i] = p.cmd.Process.Pid
	}
	cb0, pg0 := processCPU(pids), postgresCPU(dbName)
	res, err := runBench(ctx, bases, f, o, nil, "", io.Discard)
	if err != nil {
		return scaleResult{}, err
	}
	cb1, pg1 := processCPU(pids), postgresCPU(dbName)
	load, _ := os.ReadFile("/proc/loadavg")
	return scaleResult{setup: su, res: res, calmbotCPU: cb1 - cb0, postgresCPU: pg1 - pg0,
		load: strings.Join(strings.Fields(string(load))[:min(3, len(strings.Fields(string(load))))], " ")}, nil
}

// scaleProc is a `calmbot serve` child process.
type scaleProc struct {
	cmd  *exec.Cmd
	base string
	done chan struct{}
}

// startScaleProc starts calmbot serve on db and waits until it is ready;
// with pin it runs on CPU i only (taskset), with GOMAXPROCS=1.
func (e *env) startScaleProc(ctx context.Context, db, flowsFile, logFile string, i int, pin bool) (*scaleProc, error) {
	args := []string{"serve", "--addr", "127.0.0.1:0", "--db", db, "--flows", flowsFile,
		"--conversation-rate", "off", "--message-rate", "off"}
	cmd, err := e.selfCommand(args, pin, i)
	if err != nil {
		return nil, err
	}
	if pin {
		cmd.Env = append(cmd.Env, "GOMAXPROCS=1")
	}
	logOut, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = logOut, pw
	if err := cmd.Start(); err != nil {
		logOut.Close()
		return nil, fmt.Errorf("start calmbot serve: %w", err)
	}
	p := &scaleProc{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		pw.Close()
		logOut.Close()
		close(p.done)
	}()
	found := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`chat=(http://127\.0\.0\.1:\d+)/`)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logOut, line)
			if m := re.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	select {
	case p.base = <-found:
	case <-p.done:
		return nil, fmt.Errorf("calmbot serve ended at start (log %s)", logFile)
	case <-deadline.C:
		p.stop()
		return nil, fmt.Errorf("calmbot serve did not start within 60s (log %s)", logFile)
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
	for {
		resp, err := http.Get(p.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-deadline.C:
			p.stop()
			return nil, fmt.Errorf("calmbot serve not ready within 60s (log %s)", logFile)
		case <-p.done:
			return nil, fmt.Errorf("calmbot serve ended at start (log %s)", logFile)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop ends the process: SIGTERM, then SIGKILL after 15 s.
func (p *scaleProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// selfCommand is this program run with args (on CPU cpu only, with pin).
func (e *env) selfCommand(args []string, pin bool, cpu int) (*exec.Cmd, error) {
	var cmd *exec.Cmd
	if e.self != nil {
		cmd = e.self(args)
	} else {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find this program: %w", err)
		}
		cmd = exec.Command(exe, args...)
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	if pin {
		taskset, err := exec.LookPath("taskset")
		if err != nil {
			return nil, errors.New("--pin needs taskset (util-linux)")
		}
		cmd.Args = append([]string{taskset, "-c", strconv.Itoa(cpu)}, cmd.Args...)
		cmd.Path = taskset
	}
	return cmd, nil
}

// flowsSource is the flow file's text (the built-in one for "").
func flowsSource(path string) ([]byte, error) {
	if path == "" {
		return calmbot.DefaultFlows(), nil
	}
	return os.ReadFile(path)
}

// quietWindowRE finds the flows' quiet window setting.
var quietWindowRE = regexp.MustCompile(`(?m)^(\s*quiet_window:\s*)[0-9a-z.]+`)

// quietOff sets the flows' quiet window to 0s, so that the bench measures
// the servers rather than the wait for a burst of messages to end.
func quietOff(src []byte) []byte {
	if !quietWindowRE.Match(src) {
		return src
	}
	return quietWindowRE.ReplaceAll(src, []byte("${1}0s"))
}

// withDatabase is dsn (a URL or key=value string) naming database name.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", errors.New("--scale: cannot parse the database URL")
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	re := regexp.MustCompile(`(^|\s)dbname=\S*`)
	if re.MatchString(dsn) {
		return re.ReplaceAllString(dsn, "${1}dbname="+name), nil
	}
	return dsn + " dbname=" + name, nil
}

// clockTick is the unit of /proc's CPU times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// statCPU is the utime+stime of /proc/PID/stat's text.
func statCPU(stat []byte) (time.Duration, bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(stat[i+1:]))
	// After the name: state(3) ppid ... utime(14) stime(15).
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+s) * clockTick, true
}

// processCPU is the CPU time the processes pids used so far.
func processCPU(pids []int) time.Duration {
	var total time.Duration
	for _, pid := range pids {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		if d, ok := statCPU(stat); ok {
			total += d
		}
	}
	return total
}

// postgresCPU is the CPU time used so far by the PostgreSQL server
// processes of database db (its backends and autovacuum workers) and
// PostgreSQL's own (WAL writer, checkpointer, background writer), which
// the other databases of the server share; none when db is "".
func postgresCPU(db string) time.Duration {
	if db == "" {
		return 0
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	var total time.Duration
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		title, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || !postgresOfDB(string(bytes.TrimRight(title, "\x00")), db) {
			continue
		}
		total += processCPU([]int{pid})
	}
	return total
}

// postgresOfDB reports whether a process title is a PostgreSQL server
// process of database db, or one of the server's own (not another
// database's backend).
func postgresOfDB(title, db string) bool {
	if !strings.HasPrefix(title, "postgres: ") {
		return false
	}
	if strings.Contains(title, " "+db+" ") || strings.HasSuffix(title, " "+db) {
		return true
	}
	for _, own := range []string{"walwriter", "checkpointer", "background writer", "walsummarizer"} {
		if strings.HasSuffix(title, ": "+own) || strings.Contains(title, ": "+own+" ") {
			return true
		}
	}
	return false
}

// printScale prints the rounds' results and the ratios within each round.
func printScale(w io.Writer, o benchOptions, pin bool, results [][]scaleResult) {
	how := "the instances share the machine's CPUs"
	if pin {
		how = "each instance on a CPU of its own (taskset, GOMAXPROCS=1)"
	}
	fmt.Fprintf(w, "calmbot serve, %d customers over the instances, %s per setup, quiet window 0; %s\n", o.customers, o.duration, how)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "round\tsetup\tmsgs/s\tp99\tcalmbot CPU-s/1k\tpostgres CPU-s/1k\tvs sqlite\tvs postgres-1\tload\t")
	for i, row := range results {
		var sqlite, pg1 float64
		for _, r := range row {
			switch r.setup.name {
			case "sqlite":
				sqlite = r.res.PerSecond
			case "postgres-1":
				pg1 = r.res.PerSecond
			}
		}
		for _, r := range row {
			ratio := func(base float64) string {
				if base == 0 {
					return "-"
				}
				return fmt.Sprintf("%.2fx", r.res.PerSecond/base)
			}
			pgCPU := "-"
			if r.setup.postgres {
				pgCPU = fmt.Sprintf("%.3f", r.cpuPer1000(r.postgresCPU))
			}
			fmt.Fprintf(tw, "%d\t%s\t%.0f\t%s\t%.3f\t%s\t%s\t%s\t%s\t\n", i+1, r.setup.name, r.res.PerSecond, ms(r.res.P99),
				r.cpuPer1000(r.calmbotCPU), pgCPU, ratio(sqlite), ratio(pg1), r.load)
		}
	}
	tw.Flush()
}
