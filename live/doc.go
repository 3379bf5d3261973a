// Package live pushes server-rendered page fragments to browsers over a
// WebSocket on the server's own TLS port, for dashboards and kiosk wall
// screens that update without a reload.
//
// A Hub holds the open sockets, each a Subscriber to some topics
// ("tenant/acme/dashboard/12"). Publish renders an update for each
// subscriber of a topic — for that subscriber, since what a viewer may see
// depends on their access — and queues it without waiting on anyone: a
// client too slow to keep up is dropped. The hub never decides access
// itself; the caller supplies it three times over: Authenticate when the
// socket opens, AllowTopic for each subscription, and each Subscriber's
// Authorize, which Publish asks (cached for AuthTTL) and a sweep asks every
// SweepInterval, closing the socket with CodeAccessEnded as soon as access
// is gone. CloseWhere closes at once the sockets of a change the caller
// knows about (a sign-out, a revoked kiosk link).
//
// The browser half is web/static/live.js; see docs/architecture.md,
// "Live updates".
package live
