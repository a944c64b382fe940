package dynamo

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"golang.org/x/sync/errgroup"
)

// A large value (a snapshot's documents, a blob) is kept gzip-compressed
// in its item when that fits, and otherwise in chunk items written before
// the item that points to them, under a fresh version, so that a reader
// never sees a half-written value and a replaced value's chunks are
// deleted only after nothing points to them.
const (
	// inlineBytes is the most compressed bytes kept in the item itself,
	// leaving room under 400 KB for its other attributes.
	inlineBytes = 300 * 1024
	// chunkBytes is the size of each chunk item's part.
	chunkBytes = 350 * 1024
	// chunkWriters is how many chunks are written at once.
	chunkWriters = 4
)

// sampleBytes is how much of a large value is compressed first to judge
// whether compressing it is worth it: data that does not shrink by a
// tenth (already compressed, encrypted) is stored as it is.
const sampleBytes = 64 * 1024

// value is how an item holds a large value: inline in V, or in Chunks
// chunk items of version Ver; gzip-compressed unless Raw.
type value struct {
	Raw    bool   `dynamodbav:"raw,omitempty"`
	V      []byte `dynamodbav:"v,omitempty"`
	Ver    string `dynamodbav:"ver,omitempty"`
	Chunks int    `dynamodbav:"chunks,omitempty"`
}

type chunkItem struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
	V  []byte `dynamodbav:"v"`
}

func chunkPK(owner, ver string) string { return "chunk#" + owner + "#" + ver }

// chunkSK is part i's sort key: zero-padded, so that string order is
// part order.
func chunkSK(i int) string { return fmt.Sprintf("%06d", i) }

func compress(data []byte) ([]byte, error) {
	var b bytes.Buffer
	w, err := gzip.NewWriterLevel(&b, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func decompress(data []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// writeValue compresses data and returns how the item of owner (a
// unique name for it) holds it, having written any chunks first.
func (s *Store) writeValue(ctx context.Context, owner string, data []byte) (value, error) {
	raw := false
	if len(data) > sampleBytes {
		z, err := compress(data[:sampleBytes])
		if err != nil {
			return value{}, err
		}
		raw = len(z) > sampleBytes*9/10
	}
	z := data
	if !raw {
		var err error
		if z, err = compress(data); err != nil {
			return value{}, err
		}
	}
	if len(z) <= inlineBytes {
		return value{Raw: raw, V: z}, nil
	}
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return value{}, err
	}
	v := value{Raw: raw, Ver: hex.EncodeToString(r[:])}
	var chunks []chunkItem
	for off := 0; off < len(z); off += chunkBytes {
		part := z[off:min(off+chunkBytes, len(z))]
		chunks = append(chunks, chunkItem{PK: chunkPK(owner, v.Ver), SK: chunkSK(len(chunks)), V: part})
	}
	v.Chunks = len(chunks)
	// One put per chunk, a few at once: a batch of large items is no
	// cheaper in request units, and some implementations (dynalite) are
	// much slower with one.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(chunkWriters)
	for _, c := range chunks {
		g.Go(func() error { return s.put(gctx, c, "", nil) })
	}
	if err := g.Wait(); err != nil {
		return value{}, fmt.Errorf("write chunks: %w", err)
	}
	return v, nil
}

// errValueGone is a value whose chunks were deleted while it was read (it
// was replaced): read its item again.
var errValueGone = errors.New("value replaced while read")

// readValue returns the value the item of owner holds.
func (s *Store) readValue(ctx context.Context, owner string, v value) ([]byte, error) {
	if v.Chunks == 0 {
		if len(v.V) == 0 || v.Raw {
			return v.V, nil
		}
		return decompress(v.V)
	}
	parts, err := all[chunkItem](ctx, s, query{pk: chunkPK(owner, v.Ver)})
	if err != nil {
		return nil, err
	}
	if len(parts) != v.Chunks {
		return nil, errValueGone
	}
	var z []byte
	for i, p := range parts {
		if p.SK != chunkSK(i) {
			return nil, errValueGone
		}
		z = append(z, p.V...)
	}
	if v.Raw {
		return z, nil
	}
	return decompress(z)
}

// deleteValue deletes the chunks of a value no item points to any more.
func (s *Store) deleteValue(ctx context.Context, owner string, v value) error {
	if v.Chunks == 0 {
		return nil
	}
	ks := make([]item, v.Chunks)
	for i := range ks {
		ks[i] = key(chunkPK(owner, v.Ver), chunkSK(i))
	}
	return s.batchDelete(ctx, ks)
}

// valueOf reads the value attributes of a raw item.
func valueOf(it item) (value, error) {
	var v value
	err := attributevalue.UnmarshalMap(it, &v)
	return v, err
}
