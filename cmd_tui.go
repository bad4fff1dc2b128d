package main

import (
	"context"
	"errors"
)

// runTUI is a placeholder until the tui command lands.
func runTUI(ctx context.Context, args []string) error {
	return errors.New("tui: not implemented yet")
}
