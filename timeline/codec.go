package timeline

import (
	stdjson "encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// dataCodec knows one registered payload type: how to decode a data object
// into it (keeping the members it does not know), encode it back, and take
// ownership of a value a producer attached.
type dataCodec struct {
	typ    reflect.Type    // T
	fields map[string]bool // the JSON names T reads and writes
	decode func(obj []byte) (any, map[string]jsontext.Value, error)
	encode func(data any, rest map[string]jsontext.Value) ([]byte, error)
}

// codecs maps a kind to the type of its Data. It is written only by
// RegisterData, from init functions, and read-only afterwards.
var codecs = map[Kind]*dataCodec{}

// withRest decodes a data object into T and collects the members T does
// not know, so that a journal from a newer gameday loses nothing.
type withRest[T any] struct {
	P    *T                        `json:",embed"`
	Rest map[string]jsontext.Value `json:",embed"`
}

var (
	marshalOpts   = json.JoinOptions(json.Deterministic(true))
	unmarshalOpts = json.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
)

// RegisterData declares T (a struct type with json tags) as the Data of
// events of the given kinds: live events get their Data converted to *T by
// Recorder.Record, and reloaded ones are decoded into *T. Call it from an
// init function; a kind registered twice panics.
func RegisterData[T any](kinds ...Kind) {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("timeline.RegisterData: %s is not a struct", t))
	}
	c := &dataCodec{
		typ:    t,
		fields: jsonFields(t),
		decode: func(obj []byte) (any, map[string]jsontext.Value, error) {
			w := withRest[T]{P: new(T)}
			if err := json.Unmarshal(obj, &w, unmarshalOpts); err != nil {
				return nil, nil, err
			}
			return w.P, w.Rest, nil
		},
		encode: func(data any, rest map[string]jsontext.Value) ([]byte, error) {
			p, _ := data.(*T)
			if p == nil {
				p = new(T)
			}
			return json.Marshal(withRest[T]{P: p, Rest: rest}, marshalOpts)
		},
	}
	for _, k := range kinds {
		if _, dup := codecs[k]; dup {
			panic(fmt.Sprintf("timeline.RegisterData: kind %s registered twice", k))
		}
		codecs[k] = c
	}
}

// jsonFields lists the member names a struct's fields use in JSON.
func jsonFields(t reflect.Type) map[string]bool {
	fields := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			maps.Copy(fields, jsonFields(f.Type))
		case name == "":
			fields[f.Name] = true
		default:
			fields[name] = true
		}
	}
	return fields
}

// own returns v as the *T of codec c, copying a T value, or nil when v is
// of another type.
func (c *dataCodec) own(v any) any {
	rv := reflect.ValueOf(v)
	switch {
	case rv.Type() == reflect.PointerTo(c.typ):
		return v
	case rv.Type() == c.typ:
		p := reflect.New(c.typ)
		p.Elem().Set(rv)
		return p.Interface()
	}
	return nil
}

// wireEvent is an Event as a journal line stores it.
type wireEvent struct {
	Seq     uint64                    `json:"seq"`
	Time    time.Time                 `json:"time"`
	Kind    Kind                      `json:"kind"`
	Source  string                    `json:"source"`
	Host    string                    `json:"host,omitzero"`
	Summary string                    `json:"summary"`
	By      string                    `json:"by,omitzero"`
	Data    jsontext.Value            `json:"data,omitzero"`
	Rest    map[string]jsontext.Value `json:",embed"`
}

// MarshalJSON writes e as one journal line: its typed Data and the data
// members it did not understand together under "data", and unknown
// top-level members kept as they were read.
func (e Event) MarshalJSON() ([]byte, error) {
	e.normalize()
	obj, err := e.dataObject()
	if err != nil {
		return nil, err
	}
	w := wireEvent{Seq: e.Seq, Time: e.Time, Kind: e.Kind, Source: e.Source, Host: e.Host,
		Summary: e.Summary, By: e.By, Data: obj, Rest: toValues(e.UnknownFields)}
	return json.Marshal(&w, marshalOpts)
}

// UnmarshalJSON reads a journal line. The data of a registered kind is
// decoded into its type; members the type does not know, all data of an
// unknown kind, and unknown top-level members are kept raw. Data that does
// not fit its type (a newer gameday changed a field) is kept raw too.
func (e *Event) UnmarshalJSON(b []byte) error {
	var w wireEvent
	if err := json.Unmarshal(b, &w, unmarshalOpts); err != nil {
		return err
	}
	*e = Event{Seq: w.Seq, Time: w.Time, Kind: w.Kind, Source: w.Source, Host: w.Host,
		Summary: w.Summary, By: w.By, UnknownFields: fromValues(w.Rest)}
	if len(w.Data) == 0 || w.Data.Kind() == 'n' {
		return nil
	}
	if w.Data.Kind() != '{' {
		return errors.New(`field "data" is not an object`)
	}
	if c := codecs[w.Kind]; c != nil {
		if data, rest, err := c.decode(w.Data); err == nil {
			e.Data, e.UnknownData = data, fromValues(rest)
			return nil
		}
	}
	var all map[string]jsontext.Value
	if err := json.Unmarshal(w.Data, &all, unmarshalOpts); err != nil {
		return fmt.Errorf(`field "data": %w`, err)
	}
	e.UnknownData = fromValues(all)
	return nil
}

// dataObject encodes e's Data and UnknownData as one JSON object, or nil
// when both are empty.
func (e *Event) dataObject() (jsontext.Value, error) {
	if e.Data == nil && len(e.UnknownData) == 0 {
		return nil, nil
	}
	if c := codecs[e.Kind]; c != nil && e.Data != nil {
		return c.encode(e.Data, toValues(e.UnknownData))
	}
	return json.Marshal(toValues(e.UnknownData), marshalOpts)
}

// normalize gives a live event the shape a reloaded one has: the Data of
// a registered kind becomes its *T (a map or another struct is converted
// through JSON, its unknown members going to UnknownData), and the Data of
// an unregistered kind becomes UnknownData.
func (e *Event) normalize() {
	if rv := reflect.ValueOf(e.Data); rv.Kind() == reflect.Pointer && rv.IsNil() {
		e.Data = nil
	}
	c := codecs[e.Kind]
	if c != nil && e.Data != nil {
		if p := c.own(e.Data); p != nil {
			e.Data = p
			return
		}
	}
	if e.Data == nil && (c == nil || len(e.UnknownData) == 0) {
		return
	}
	obj, err := e.foreignObject()
	if err != nil {
		e.Data, e.UnknownData = nil, map[string]stdjson.RawMessage{"data_error": quoteJSON(err.Error())}
		return
	}
	e.Data, e.UnknownData = nil, nil
	if c != nil {
		if data, rest, derr := c.decode(obj); derr == nil {
			e.Data, e.UnknownData = data, fromValues(rest)
			return
		}
	}
	var all map[string]jsontext.Value
	if err := json.Unmarshal(obj, &all, unmarshalOpts); err != nil {
		e.UnknownData = map[string]stdjson.RawMessage{"data_error": quoteJSON(err.Error())}
		return
	}
	e.UnknownData = fromValues(all)
}

// foreignObject encodes Data of a type other than the kind's (a legacy
// map, a producer's own struct) merged with UnknownData, with the classic
// encoder so that the producer's json tags mean what they meant.
func (e *Event) foreignObject() ([]byte, error) {
	m := map[string]stdjson.RawMessage{}
	if e.Data != nil {
		b, err := stdjson.Marshal(e.Data)
		if err != nil {
			return nil, err
		}
		if err := stdjson.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("data is not an object: %w", err)
		}
		if m == nil {
			m = map[string]stdjson.RawMessage{}
		}
	}
	for k, v := range e.UnknownData {
		if _, set := m[k]; !set {
			m[k] = v
		}
	}
	return stdjson.Marshal(m)
}

func quoteJSON(s string) stdjson.RawMessage {
	b, _ := stdjson.Marshal(s)
	return b
}

func toValues(m map[string]stdjson.RawMessage) map[string]jsontext.Value {
	return convertRaw[jsontext.Value](m)
}

func fromValues(m map[string]jsontext.Value) map[string]stdjson.RawMessage {
	return convertRaw[stdjson.RawMessage](m)
}

// convertRaw retypes a map of raw JSON values between the two libraries'
// raw types (both []byte), keeping nil for an empty map.
func convertRaw[B, A ~[]byte](m map[string]A) map[string]B {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]B, len(m))
	for k, v := range m {
		out[k] = B(v)
	}
	return out
}
