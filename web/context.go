package web

import "context"

type sessionTokenKey struct{}

// withSessionToken keeps the caller's session token for handlers that end
// or replace the session (sign-out).
func withSessionToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, sessionTokenKey{}, token)
}

func sessionToken(ctx context.Context) string {
	s, _ := ctx.Value(sessionTokenKey{}).(string)
	return s
}
