package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/calmbot/calmbot/adapters/telegram"
)

// Environment of the Telegram adapter.
const (
	envTelegramToken         = "CALMBOT_TELEGRAM_TOKEN"
	envTelegramAPIURL        = "CALMBOT_TELEGRAM_API_URL"
	envTelegramWebhookURL    = "CALMBOT_TELEGRAM_WEBHOOK_URL"
	envTelegramWebhookSecret = "CALMBOT_TELEGRAM_WEBHOOK_SECRET"
)

// defaultTelegramWebhookPath is where the webhook is served when
// CALMBOT_TELEGRAM_WEBHOOK_URL has no path.
const defaultTelegramWebhookPath = "/telegram/webhook"

// telegramFlags adds serve's Telegram flags.
func telegramFlags(fs *flag.FlagSet, token *string) {
	fs.StringVar(token, "telegram-token", "", "Telegram bot `token` from BotFather (default $"+envTelegramToken+"); with one, customers can also write to the bot on Telegram")
}

// newTelegram builds the Telegram adapter from the flag and the
// environment; nil when no token is configured.
// state keeps the poll offset and open buttons across restarts.
func (e *env) newTelegram(flagToken string, log *slog.Logger, state telegram.State) (*telegram.Adapter, string, error) {
	token := flagToken
	if token == "" {
		token = e.getenv(envTelegramToken)
	}
	if token == "" {
		return nil, "", nil
	}
	opts := []telegram.Option{telegram.WithLogger(log), telegram.WithState(state)}
	if u := e.getenv(envTelegramAPIURL); u != "" {
		opts = append(opts, telegram.WithAPIURL(u))
	}
	path := ""
	if hook := e.getenv(envTelegramWebhookURL); hook != "" {
		u, err := url.Parse(hook)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, "", &exitError{code: 2, msg: fmt.Sprintf("%s must be an https:// URL, got %q", envTelegramWebhookURL, hook)}
		}
		secret := e.getenv(envTelegramWebhookSecret)
		if secret == "" {
			return nil, "", &exitError{code: 2, msg: fmt.Sprintf("%s needs %s (1-256 characters A-Z, a-z, 0-9, _ and -)", envTelegramWebhookURL, envTelegramWebhookSecret)}
		}
		path = u.Path
		if path == "" || path == "/" {
			path = defaultTelegramWebhookPath
		}
		opts = append(opts, telegram.WithWebhook(hook, secret))
	}
	a, err := telegram.New(token, opts...)
	if err != nil {
		return nil, "", &exitError{code: 2, msg: err.Error()}
	}
	return a, path, nil
}

// attachTelegram makes a deliver the telegram channel's replies and, in
// webhook mode, serves its webhook at path.
func (s *server) attachTelegram(a *telegram.Adapter, path string, mux *http.ServeMux) {
	s.telegram = a
	s.engine.Register(telegram.Channel, a)
	if path != "" {
		mux.Handle("POST "+path, a.Webhook())
	}
}

// runTelegram runs the adapter until ctx is done. A refused token ends the
// server with a message naming where the token came from.
func (s *server) runTelegram(ctx context.Context) error {
	if err := s.telegram.Start(ctx, s.engine); err != nil {
		if errors.Is(err, telegram.ErrUnauthorized) {
			return fmt.Errorf("%w (the token is $%s or --telegram-token)", err, envTelegramToken)
		}
		return err
	}
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.telegram.Stop(stopCtx)
}

// telegramReady is nil without Telegram or while it is connected.
func (s *server) telegramReady() error {
	if s.telegram == nil {
		return nil
	}
	return s.telegram.Ready()
}
