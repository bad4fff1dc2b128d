package main

import (
	"context"
	"errors"
)

// runServe is a placeholder until the serve command lands.
func runServe(ctx context.Context, args []string) error {
	return errors.New("serve: not implemented yet")
}
