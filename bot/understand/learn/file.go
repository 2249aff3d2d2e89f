package learn

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// A model file is, in order (integers little-endian, lengths as uvarints,
// strings as a length then bytes):
//
//	magic "HLMODEL\n", version uint16
//	name, settings (Settings.String)
//	Digest [32]byte, LangDigest [32]byte
//	thresholds: count, then name and float64 each
//	heads: count, then for each: name, temperature float64, classes
//	  (count, names), bias float32 per class, scale float32 per class,
//	  and the int8 weights, bucket by bucket, deflated (length, bytes)
//	CRC-32 (IEEE) of everything before it
const (
	magic   = "HLMODEL\n"
	version = 1
)

// Encode writes m as a model file.
func (m *Model) Encode() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(magic)
	b.Write(binary.LittleEndian.AppendUint16(nil, version))
	putString(&b, m.Name)
	putString(&b, m.Settings.String())
	b.Write(m.Digest[:])
	b.Write(m.LangDigest[:])
	putUvarint(&b, uint64(len(m.thresholds)))
	for _, t := range m.thresholds {
		putString(&b, t.Name)
		b.Write(binary.LittleEndian.AppendUint64(nil, math.Float64bits(t.Value)))
	}
	putUvarint(&b, uint64(len(m.heads)))
	for _, h := range m.heads {
		putString(&b, h.name)
		b.Write(binary.LittleEndian.AppendUint64(nil, math.Float64bits(h.temp)))
		putUvarint(&b, uint64(len(h.classes)))
		for _, c := range h.classes {
			putString(&b, c)
		}
		for _, v := range h.bias {
			b.Write(binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)))
		}
		for _, v := range h.scale {
			b.Write(binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)))
		}
		var z bytes.Buffer
		fw, err := flate.NewWriter(&z, flate.BestCompression)
		if err != nil {
			return nil, err
		}
		raw := make([]byte, len(h.w))
		for i, b := range h.w {
			raw[i] = byte(weightOf(b))
		}
		if _, err := fw.Write(raw); err != nil {
			return nil, err
		}
		if err := fw.Close(); err != nil {
			return nil, err
		}
		putUvarint(&b, uint64(z.Len()))
		b.Write(z.Bytes())
	}
	b.Write(binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(b.Bytes())))
	return b.Bytes(), nil
}

func putUvarint(b *bytes.Buffer, v uint64) { b.Write(binary.AppendUvarint(nil, v)) }

func putString(b *bytes.Buffer, s string) {
	putUvarint(b, uint64(len(s)))
	b.WriteString(s)
}

// ErrNotModel is returned by Decode for bytes that are not a model file.
var ErrNotModel = errors.New("not a helpline model file")

// Decode reads a model file.
func Decode(data []byte) (*Model, error) {
	if len(data) < len(magic)+2+4 || string(data[:len(magic)]) != magic {
		return nil, ErrNotModel
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, errors.New("model file: checksum does not match: the file is damaged")
	}
	r := &reader{b: body[len(magic):]}
	if v := r.uint16(); v != version {
		return nil, fmt.Errorf("model file: version %d, this build reads %d", v, version)
	}
	m := &Model{Name: r.string()}
	settings := r.string()
	copy(m.Digest[:], r.bytes(32))
	copy(m.LangDigest[:], r.bytes(32))
	for range r.count(1 << 12) {
		name := r.string()
		m.thresholds = append(m.thresholds, Threshold{name, math.Float64frombits(r.uint64())})
	}
	if r.err != nil {
		return nil, fmt.Errorf("model file: %w", r.err)
	}
	s, err := ParseSettings(settings)
	if err != nil {
		return nil, fmt.Errorf("model file: %w", err)
	}
	m.Settings = s
	m.hasher = newHasher(s.Bits, s.CharWeight)
	nb := 1 << s.Bits
	for range r.count(8) {
		h, err := r.readHead(nb)
		if err != nil {
			return nil, err
		}
		m.heads = append(m.heads, h)
	}
	switch {
	case r.err != nil:
		return nil, fmt.Errorf("model file: %w", r.err)
	case len(r.b) != 0:
		return nil, fmt.Errorf("model file: %d bytes after the last head", len(r.b))
	case len(m.heads) == 0:
		return nil, errors.New("model file: no head")
	case m.heads[0].classes[0] != None:
		return nil, fmt.Errorf("model file: first class %q, want %q", m.heads[0].classes[0], None)
	}
	m.prepare()
	return m, nil
}

// readHead reads a head of a model of nb buckets: its name, temperature,
// classes, biases and scales, and its weights, compressed.
func (r *reader) readHead(nb int) (head, error) {
	h := head{name: r.string(), temp: math.Float64frombits(r.uint64())}
	k := r.count(1 << 10)
	for range k {
		h.classes = append(h.classes, r.string())
	}
	h.bias = make([]float32, k)
	h.scale = make([]float32, k)
	for i := range h.bias {
		h.bias[i] = math.Float32frombits(r.uint32())
	}
	for i := range h.scale {
		h.scale[i] = math.Float32frombits(r.uint32())
	}
	z := r.bytes(r.count(len(r.b)))
	if r.err != nil {
		return head{}, fmt.Errorf("model file: %w", r.err)
	}
	raw, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(z)), int64(nb*k)+1))
	if err != nil {
		return head{}, fmt.Errorf("model file: head %q: %w", h.name, err)
	}
	if len(raw) != nb*k {
		return head{}, fmt.Errorf("model file: head %q: %d weights, want %d", h.name, len(raw), nb*k)
	}
	h.w = make([]byte, len(raw), len(raw)+wordPad)
	for i, q := range raw {
		h.w[i] = weightByte(int8(q))
	}
	if k < 2 || !(h.temp > 0) {
		return head{}, fmt.Errorf("model file: head %q: %d classes at temperature %g", h.name, k, h.temp)
	}
	return h, nil
}

// reader reads a model file's fields, remembering the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b) {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) uint16() uint16 {
	if b := r.bytes(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (r *reader) uint32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *reader) uint64() uint64 {
	if b := r.bytes(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// count reads a length of at most limit.
func (r *reader) count(limit int) int {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = io.ErrUnexpectedEOF
		return 0
	}
	r.b = r.b[n:]
	if v > uint64(limit) {
		r.err = fmt.Errorf("length %d: at most %d", v, limit)
		return 0
	}
	return int(v)
}

func (r *reader) string() string { return string(r.bytes(r.count(1 << 16))) }
