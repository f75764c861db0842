package bot

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/calmbot/calmbot/flows"
)

// reloadDebounce lets an editor finish writing before the file is read.
const reloadDebounce = 150 * time.Millisecond

// Watch reloads the flow file at path whenever it changes on disk and
// whenever trigger fires (the server wires SIGHUP to it), until ctx is done.
// The new file is validated first: a broken file keeps the running flows and
// the reason is logged, with file:line:col. Every attempt is reported on
// the optional reloaded channel (nil error for a successful reload).
func (e *Engine) Watch(ctx context.Context, path string, trigger <-chan struct{}, reloaded chan<- error) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch %s: %w", path, err)
	}
	defer w.Close()
	// Editors often replace the file: watch its directory.
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("watch %s: %w", path, err)
	}
	if err := w.Add(filepath.Dir(abs)); err != nil {
		return fmt.Errorf("watch %s: %w", path, err)
	}
	var debounce <-chan time.Time
	reload := func() {
		err := e.reloadFile(ctx, path)
		if err != nil {
			e.logReloadError(path, err)
		}
		if reloaded != nil {
			select {
			case reloaded <- err:
			case <-ctx.Done():
			}
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if filepath.Clean(ev.Name) == abs && ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename) != 0 {
				debounce = time.After(reloadDebounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			e.log.Warn("watching flows", "file", path, "err", err)
		case <-debounce:
			debounce = nil
			reload()
		case <-trigger:
			reload()
		}
	}
}

// reloadLogged is how many of a broken file's diagnostics a failed reload
// logs, one record each; the rest are counted.
const reloadLogged = 10

// logReloadError logs why a reload failed: a summary with the count of
// problems, then each problem on its own line (file:line:col: rule:
// message), the first reloadLogged of them.
func (e *Engine) logReloadError(path string, err error) {
	var ds flows.Diagnostics
	if !errors.As(err, &ds) || len(ds) == 0 {
		e.log.Error("flows not reloaded; the running flows stay", "file", path, "err", err)
		return
	}
	e.log.Error("flows not reloaded; the running flows stay", "file", path, "problems", len(ds))
	for _, d := range ds[:min(len(ds), reloadLogged)] {
		e.log.Error("flows: "+d.String(), "file", path)
	}
	if len(ds) > reloadLogged {
		e.log.Error(fmt.Sprintf("flows: and %d more problems; run calmbot flows check %s", len(ds)-reloadLogged, path), "file", path)
	}
}

func (e *Engine) reloadFile(ctx context.Context, path string) (err error) {
	// A bug in reading or compiling a file must not end the server.
	defer func() {
		if r := recover(); r != nil {
			err = e.panicked("reload flows "+path, r)
		}
	}()
	f, err := flows.Load(path)
	if err != nil {
		return err
	}
	if f.Hash() == e.prog.Load().hash {
		return nil
	}
	return e.Reload(ctx, f)
}
