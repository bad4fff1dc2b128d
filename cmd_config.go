package main

import (
	"context"
	"errors"
)

// runConfig is a placeholder until the config command lands.
func runConfig(ctx context.Context, args []string) error {
	return errors.New("config: not implemented yet")
}
