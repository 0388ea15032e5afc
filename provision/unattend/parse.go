package unattend

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Limits on hostile input. A real answer file is a few kilobytes and
// nests about eight elements deep.
const (
	MaxSize  = 1 << 20
	MaxDepth = 32
)

// Parse reads an answer file. Every error is an *Error naming the element
// (as a path from the root) and the line; at most MaxSize bytes are read.
func Parse(r io.Reader) (*File, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, err
	}
	return ParseBytes(b)
}

// ParseBytes parses an answer file held in memory.
func ParseBytes(b []byte) (*File, error) {
	if len(b) > MaxSize {
		return nil, &Error{Element: "unattend", Err: ErrTooLarge, Detail: fmt.Sprintf("more than %d bytes", MaxSize)}
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	p := &parser{d: d, src: b}
	return p.file()
}

type parser struct {
	d   *xml.Decoder
	src []byte
	// elemStart is the input offset of the start tag of the element being
	// handed to a children callback.
	elemStart int64
	path      []string
	line      int // position of the element being parsed (after its start tag)
	col       int
}

func (p *parser) fail(sentinel error, detail string) *Error {
	return &Error{Element: strings.Join(p.path, "/"), Line: p.line, Column: p.col, Err: sentinel, Detail: detail}
}

// next returns the next token, turning decoder errors into *Error.
func (p *parser) next() (xml.Token, error) {
	t, err := p.d.Token()
	if err == nil {
		return t, nil
	}
	e := p.fail(ErrSyntax, err.Error())
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		e.Line, e.Column = se.Line, 0
	} else if err == io.EOF {
		e.Detail = "unexpected end of file"
		e.Line, e.Column = p.d.InputPos()
	} else {
		e.Line, e.Column = p.d.InputPos()
	}
	return nil, e
}

func (p *parser) file() (*File, error) {
	for {
		t, err := p.d.Token()
		if err == io.EOF {
			return nil, &Error{Element: "unattend", Line: 1, Err: ErrMissing, Detail: "no root element"}
		}
		if err != nil {
			p.path = []string{"unattend"}
			return nil, p.syntax(err)
		}
		se, ok := t.(xml.StartElement)
		if !ok {
			continue // prolog: XML declaration, comments, whitespace
		}
		p.path = append(p.path[:0], se.Name.Local)
		p.line, p.col = p.d.InputPos()
		if se.Name.Local != "unattend" {
			return nil, p.fail(ErrMissing, "root element must be <unattend>")
		}
		if se.Name.Space != Namespace {
			return nil, p.fail(ErrNamespace, fmt.Sprintf("xmlns %q, want %q", se.Name.Space, Namespace))
		}
		f := &File{}
		for _, ns := range namespaces(se) {
			if ns.Prefix != "wcm" {
				f.Namespaces = append(f.Namespaces, ns)
			}
		}
		seen := map[Pass]bool{}
		err = p.children(func(se xml.StartElement) error {
			if se.Name.Local != "settings" {
				raw, err := p.raw()
				f.Extra = append(f.Extra, raw)
				return err
			}
			s, err := p.settings(se)
			if err != nil {
				return err
			}
			if seen[s.Pass] {
				return p.fail(ErrDuplicate, fmt.Sprintf("second settings block for pass %q", s.Pass))
			}
			seen[s.Pass] = true
			f.Settings = append(f.Settings, s)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if err := p.trailer(); err != nil {
			return nil, err
		}
		return f, nil
	}
}

func (p *parser) syntax(err error) *Error {
	e := p.fail(ErrSyntax, err.Error())
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		e.Line, e.Column = se.Line, 0
	}
	return e
}

// trailer accepts only comments, processing instructions and whitespace
// after the root element.
func (p *parser) trailer() error {
	for {
		t, err := p.d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return p.syntax(err)
		}
		switch t := t.(type) {
		case xml.StartElement:
			p.line, p.col = p.d.InputPos()
			p.path = []string{t.Name.Local}
			return p.fail(ErrSyntax, "second root element")
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				p.line, p.col = p.d.InputPos()
				return p.fail(ErrSyntax, "text after the root element")
			}
		}
	}
}

// children calls fn for each child element of the element just opened;
// fn must consume the child through its end tag. Text between children is
// ignored. It returns after the parent's end tag.
func (p *parser) children(fn func(xml.StartElement) error) error {
	parentLine, parentCol := p.line, p.col
	for {
		start := p.d.InputOffset()
		t, err := p.next()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			if len(p.path) >= MaxDepth {
				p.line, p.col = p.d.InputPos()
				return p.fail(ErrTooDeep, fmt.Sprintf("more than %d levels", MaxDepth))
			}
			p.path = append(p.path, t.Name.Local)
			p.line, p.col = p.d.InputPos()
			p.elemStart = start
			if err := fn(t); err != nil {
				return err
			}
			p.path = p.path[:len(p.path)-1]
			p.line, p.col = parentLine, parentCol
		case xml.EndElement:
			return nil
		}
	}
}

// skip consumes an element this package does not model.
func (p *parser) skip() error {
	return p.children(func(xml.StartElement) error { return p.skip() })
}

// raw consumes the element just opened and returns it verbatim.
func (p *parser) raw() (RawXML, error) {
	start := p.elemStart
	if err := p.skip(); err != nil {
		return "", err
	}
	return RawXML(p.src[start:p.d.InputOffset()]), nil
}

// namespaces returns the xmlns:prefix declarations of se.
func namespaces(se xml.StartElement) []XMLNS {
	var out []XMLNS
	for _, a := range se.Attr {
		if a.Name.Space == "xmlns" {
			out = append(out, XMLNS{Prefix: a.Name.Local, URI: a.Value})
		}
	}
	return out
}

// text returns the character data of a leaf element.
func (p *parser) text() (string, error) {
	var b []byte
	for {
		t, err := p.next()
		if err != nil {
			return "", err
		}
		switch t := t.(type) {
		case xml.CharData:
			b = append(b, t...)
		case xml.StartElement:
			p.path = append(p.path, t.Name.Local)
			p.line, p.col = p.d.InputPos()
			return "", p.fail(ErrValue, "element inside a text value")
		case xml.EndElement:
			return strings.TrimSpace(string(b)), nil
		}
	}
}

func attr(se xml.StartElement, local string) (string, bool) {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// action reads wcm:action, whether or not the wcm prefix was declared.
func action(se xml.StartElement) string {
	for _, a := range se.Attr {
		if a.Name.Local == "action" && (a.Name.Space == WCMNamespace || a.Name.Space == "wcm") {
			return a.Value
		}
	}
	return ""
}

func (p *parser) settings(se xml.StartElement) (Settings, error) {
	pass, ok := attr(se, "pass")
	if !ok {
		return Settings{}, p.fail(ErrMissing, `attribute "pass"`)
	}
	s := Settings{Pass: Pass(pass)}
	if !s.Pass.valid() {
		return Settings{}, p.fail(ErrValue, fmt.Sprintf("pass %q is not a configuration pass", pass))
	}
	err := p.children(func(se xml.StartElement) error {
		if se.Name.Local != "component" {
			return p.skip()
		}
		c, err := p.component(se)
		s.Components = append(s.Components, c)
		return err
	})
	return s, err
}

func (p *parser) component(se xml.StartElement) (Component, error) {
	var c Component
	var ok bool
	if c.Name, ok = attr(se, "name"); !ok || c.Name == "" {
		return c, p.fail(ErrMissing, `attribute "name"`)
	}
	c.ProcessorArchitecture, _ = attr(se, "processorArchitecture")
	c.PublicKeyToken, _ = attr(se, "publicKeyToken")
	c.Language, _ = attr(se, "language")
	c.VersionScope, _ = attr(se, "versionScope")
	c.Namespaces = namespaces(se)
	seen := map[string]bool{}
	err := p.children(func(se xml.StartElement) error {
		name := se.Name.Local
		switch name {
		case "ComputerName", "AutoLogon", "RunSynchronous", "FirstLogonCommands":
			if seen[name] {
				return p.fail(ErrDuplicate, "appears twice in one component")
			}
			seen[name] = true
		}
		var err error
		switch name {
		case "ComputerName":
			c.ComputerName, err = p.text()
			if err == nil {
				err = checkComputerName(p, c.ComputerName)
			}
		case "AutoLogon":
			c.AutoLogon, err = p.autoLogon()
		case "RunSynchronous":
			c.RunSynchronous, err = p.runSynchronous()
		case "FirstLogonCommands":
			c.FirstLogonCommands, err = p.firstLogonCommands()
		default:
			var raw RawXML
			raw, err = p.raw()
			c.Extra = append(c.Extra, raw)
		}
		return err
	})
	return c, err
}

// checkComputerName enforces the NetBIOS limit Setup applies: at most 15
// characters, no spaces or reserved punctuation; "*" means a random name.
func checkComputerName(p *parser, s string) error {
	if why := computerNameProblem(s); why != "" {
		return p.fail(ErrValue, why)
	}
	return nil
}

// computerNameProblem says what is wrong with a computer name, or "".
func computerNameProblem(s string) string {
	if s == "*" {
		return ""
	}
	if s == "" || len(s) > 15 || strings.ContainsAny(s, ` \/:*?"<>|,~!@#$%^&'.(){}_`) {
		return fmt.Sprintf("computer name %q: 1 to 15 characters, letters, digits and '-'", s)
	}
	return ""
}

func (p *parser) autoLogon() (*AutoLogon, error) {
	a := &AutoLogon{}
	err := p.children(func(se xml.StartElement) error {
		var err error
		var s string
		switch se.Name.Local {
		case "Username":
			a.Username, err = p.text()
		case "Domain":
			a.Domain, err = p.text()
		case "Enabled":
			if s, err = p.text(); err == nil {
				a.Enabled, err = p.boolean(s)
			}
		case "LogonCount":
			if s, err = p.text(); err == nil {
				a.LogonCount, err = p.integer(s, 0, 1<<31-1)
			}
		case "Password":
			a.Password, err = p.password()
		default:
			err = p.skip()
		}
		return err
	})
	return a, err
}

func (p *parser) password() (*Password, error) {
	pw := &Password{}
	err := p.children(func(se xml.StartElement) error {
		var err error
		var s string
		switch se.Name.Local {
		case "Value":
			pw.Value, err = p.text()
		case "PlainText":
			if s, err = p.text(); err == nil {
				pw.PlainText, err = p.boolean(s)
			}
		default:
			err = p.skip()
		}
		return err
	})
	return pw, err
}

func (p *parser) runSynchronous() ([]RunSynchronousCommand, error) {
	var out []RunSynchronousCommand
	orders := map[int]bool{}
	err := p.children(func(se xml.StartElement) error {
		if se.Name.Local != "RunSynchronousCommand" {
			return p.skip()
		}
		c := RunSynchronousCommand{Action: action(se)}
		err := p.children(func(se xml.StartElement) error {
			var err error
			var s string
			switch se.Name.Local {
			case "Order":
				if s, err = p.text(); err == nil {
					c.Order, err = p.integer(s, MinOrder, MaxOrder)
				}
			case "Path":
				c.Path, err = p.text()
			case "Description":
				c.Description, err = p.text()
			case "WillReboot":
				if s, err = p.text(); err == nil {
					c.WillReboot, err = p.willReboot(s)
				}
			default:
				err = p.skip()
			}
			return err
		})
		if err != nil {
			return err
		}
		if err := p.orderAndBody(orders, c.Order, "Path", c.Path); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

func (p *parser) firstLogonCommands() ([]SynchronousCommand, error) {
	var out []SynchronousCommand
	orders := map[int]bool{}
	err := p.children(func(se xml.StartElement) error {
		if se.Name.Local != "SynchronousCommand" {
			return p.skip()
		}
		c := SynchronousCommand{Action: action(se)}
		err := p.children(func(se xml.StartElement) error {
			var err error
			var s string
			switch se.Name.Local {
			case "Order":
				if s, err = p.text(); err == nil {
					c.Order, err = p.integer(s, MinOrder, MaxOrder)
				}
			case "CommandLine":
				c.CommandLine, err = p.text()
			case "Description":
				c.Description, err = p.text()
			case "RequiresUserInput":
				if s, err = p.text(); err == nil {
					c.RequiresUserInput, err = p.boolean(s)
				}
			default:
				err = p.skip()
			}
			return err
		})
		if err != nil {
			return err
		}
		if err := p.orderAndBody(orders, c.Order, "CommandLine", c.CommandLine); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

// orderAndBody checks a command once its element has been read (the error
// points at the command element).
func (p *parser) orderAndBody(orders map[int]bool, order int, bodyName, body string) error {
	if order == 0 {
		return p.fail(ErrMissing, "<Order>")
	}
	if body == "" {
		return p.fail(ErrMissing, "<"+bodyName+">")
	}
	if orders[order] {
		return p.fail(ErrDuplicate, fmt.Sprintf("Order %d used twice", order))
	}
	orders[order] = true
	return nil
}

func (p *parser) integer(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, p.fail(ErrValue, fmt.Sprintf("%q: want an integer from %d to %d", s, lo, hi))
	}
	return n, nil
}

func (p *parser) boolean(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, p.fail(ErrValue, fmt.Sprintf("%q: want true or false", s))
}

func (p *parser) willReboot(s string) (WillReboot, error) {
	for i, n := range willRebootNames {
		if strings.EqualFold(s, n) {
			return WillReboot(i), nil
		}
	}
	return 0, p.fail(ErrValue, fmt.Sprintf("%q: want Always, Never or OnRequest", s))
}
