package main

import (
	"context"
	"errors"
)

// runDemo is a placeholder until the demo command lands.
func runDemo(ctx context.Context, args []string) error {
	return errors.New("demo: not implemented yet")
}
