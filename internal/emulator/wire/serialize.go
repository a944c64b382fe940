package wire

import (
	"math/big"
	"time"

	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/document"
)

// kind of an output tree node.
type kind int

const (
	kScalar kind = iota
	kStruct
	kList
	kMap
)

// Node is one value of a response, captured from the SDK's generated
// Serialize method together with its schema, so that each protocol encoder
// can apply its own naming and timestamp rules.
type Node struct {
	Schema *smithy.Schema // the member (or root) schema; may be nil
	kind   kind
	Name   string  // member name within a struct, or map key
	Value  any     // scalar value: string, bool, int64, float64, []byte, time.Time, *big.Int, *big.Float, nil
	Kids   []*Node // struct members, list items or map entries, in order
}

// treeSerializer implements smithy.ShapeSerializer by building a Node tree.
type treeSerializer struct {
	root    *Node
	stack   []*Node
	nextKey string
	hasKey  bool
}

var _ smithy.ShapeSerializer = (*treeSerializer)(nil)

// Capture runs v's generated Serialize method and returns the tree.
func Capture(v smithy.Serializable) *Node {
	s := &treeSerializer{}
	v.Serialize(s)
	if s.root == nil {
		return &Node{kind: kStruct}
	}
	return s.root
}

func (s *treeSerializer) add(n *Node) {
	if len(s.stack) == 0 {
		if s.root == nil {
			s.root = n
		}
		return
	}
	parent := s.stack[len(s.stack)-1]
	switch parent.kind {
	case kStruct:
		if n.Schema != nil {
			n.Name = n.Schema.MemberName()
		}
	case kMap:
		n.Name, s.hasKey = s.nextKey, false
	}
	parent.Kids = append(parent.Kids, n)
}

func (s *treeSerializer) scalar(sc *smithy.Schema, v any) { s.add(&Node{Schema: sc, Value: v}) }

func (s *treeSerializer) push(sc *smithy.Schema, k kind) {
	n := &Node{Schema: sc, kind: k}
	s.add(n)
	s.stack = append(s.stack, n)
}

func (s *treeSerializer) pop() {
	if len(s.stack) > 0 {
		s.stack = s.stack[:len(s.stack)-1]
	}
}

func (s *treeSerializer) Bytes() []byte                             { return nil }
func (s *treeSerializer) WriteInt8(sc *smithy.Schema, v int8)       { s.scalar(sc, int64(v)) }
func (s *treeSerializer) WriteInt16(sc *smithy.Schema, v int16)     { s.scalar(sc, int64(v)) }
func (s *treeSerializer) WriteInt32(sc *smithy.Schema, v int32)     { s.scalar(sc, int64(v)) }
func (s *treeSerializer) WriteInt64(sc *smithy.Schema, v int64)     { s.scalar(sc, v) }
func (s *treeSerializer) WriteFloat32(sc *smithy.Schema, v float32) { s.scalar(sc, float64(v)) }
func (s *treeSerializer) WriteFloat64(sc *smithy.Schema, v float64) { s.scalar(sc, v) }
func (s *treeSerializer) WriteBool(sc *smithy.Schema, v bool)       { s.scalar(sc, v) }
func (s *treeSerializer) WriteString(sc *smithy.Schema, v string)   { s.scalar(sc, v) }
func (s *treeSerializer) WriteBigInt(sc *smithy.Schema, v *big.Int) { s.scalar(sc, v) }
func (s *treeSerializer) WriteBigFloat(sc *smithy.Schema, v *big.Float) {
	s.scalar(sc, v)
}
func (s *treeSerializer) WriteBlob(sc *smithy.Schema, v []byte)    { s.scalar(sc, v) }
func (s *treeSerializer) WriteTime(sc *smithy.Schema, v time.Time) { s.scalar(sc, v) }
func (s *treeSerializer) WriteNil(sc *smithy.Schema)               { s.scalar(sc, nil) }
func (s *treeSerializer) WriteDocument(sc *smithy.Schema, v document.Value) {
	s.scalar(sc, nil) // documents are not used by the APIs we emulate
}
func (s *treeSerializer) WriteUnion(sc, variant *smithy.Schema) {
	s.push(sc, kStruct)
}
func (s *treeSerializer) CloseUnion()                   { s.pop() }
func (s *treeSerializer) WriteStruct(sc *smithy.Schema) { s.push(sc, kStruct) }
func (s *treeSerializer) CloseStruct()                  { s.pop() }
func (s *treeSerializer) WriteList(sc *smithy.Schema)   { s.push(sc, kList) }
func (s *treeSerializer) CloseList()                    { s.pop() }
func (s *treeSerializer) WriteMap(sc *smithy.Schema)    { s.push(sc, kMap) }
func (s *treeSerializer) WriteKey(sc *smithy.Schema, k string) {
	s.nextKey, s.hasKey = k, true
}
func (s *treeSerializer) CloseMap() { s.pop() }
