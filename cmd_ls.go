package main

import (
	"context"
	"errors"
)

// runLs is a placeholder until the ls command lands.
func runLs(ctx context.Context, args []string) error {
	return errors.New("ls: not implemented yet")
}
