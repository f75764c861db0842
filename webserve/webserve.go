// Package webserve is the HTTP plumbing calmbot's two web front ends (the
// customer chat in adapters/web and the agent desk in handoff/desk) share:
// security headers, the client address behind trusted proxies, keyed rate
// limits, a server-sent events writer, embedded assets and JSON answers;
// and ListenLoopback, for listeners only this machine may reach (serve's
// --pprof, cmd/httpfloor). It imports nothing of calmbot's, so all can use
// it.
package webserve
