package main

import (
	"context"
	"errors"
)

// runSend is a placeholder until the send command lands.
func runSend(ctx context.Context, args []string) error {
	return errors.New("send: not implemented yet")
}
