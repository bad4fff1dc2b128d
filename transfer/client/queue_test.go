package client

import (
	"reflect"
	"testing"

	"github.com/hoist-dev/hoist/transfer/wire"
)

func TestSendQueueOrder(t *testing.T) {
	t.Parallel()
	var q sendQueue
	q.add(0, []wire.Range{{0, 2}, {5, 6}})
	q.add(2, []wire.Range{{1, 2}})
	var got []chunkRef
	for i := 0; ; i++ {
		ref, ok := q.peek()
		if !ok {
			break
		}
		q.pop()
		got = append(got, ref)
		if i == 1 {
			q.resend(chunkRef{0, 0})
		}
	}
	want := []chunkRef{{0, 0}, {0, 1}, {0, 0}, {0, 5}, {2, 1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}
