package client

import (
	"context"
	"errors"
)

// TokenSource supplies the JWT an upload authenticates with. The engine asks
// on every connection, and once more after the server answers
// "unauthorized", so a source backed by a file or a command should re-read it
// on each call. Token must honour ctx.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// StaticToken is a TokenSource that always returns the same token.
type StaticToken string

// Token implements TokenSource.
func (t StaticToken) Token(context.Context) (string, error) {
	if t == "" {
		return "", errors.New("empty token")
	}
	return string(t), nil
}

// TokenFunc adapts a function to a TokenSource.
type TokenFunc func(ctx context.Context) (string, error)

// Token implements TokenSource.
func (f TokenFunc) Token(ctx context.Context) (string, error) { return f(ctx) }

// NoToken presents an empty token: the server then takes the user from the
// connection itself, as `hoist serve --stdio --user NAME` run by sshd as a
// forced command does. Meant for ssh:// servers configured without a token.
var NoToken TokenSource = noToken{}

type noToken struct{}

func (noToken) Token(context.Context) (string, error) { return "", nil }
