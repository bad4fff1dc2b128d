package main

import (
	"context"
	"errors"
)

// runToken is a placeholder until the token command lands.
func runToken(ctx context.Context, args []string) error {
	return errors.New("token: not implemented yet")
}
