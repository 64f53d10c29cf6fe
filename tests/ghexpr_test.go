package tests

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// evalIf evaluates a job's or step's `if:` as GitHub Actions does, for the
// part of its expression syntax the workflows use: literals, context paths
// (looked up in ctx; a path not there is null), ! == != && || and
// parentheses, and the functions success, failure, always, cancelled,
// startsWith and contains. Like GitHub it compares strings ignoring case and
// other mixed types as numbers, and it puts success() && before a condition
// that calls no status function. Anything else fails the test, so that an
// expression it cannot read is never judged.
func evalIf(t *testing.T, cond string, ctx map[string]string, status runStatus) bool {
	t.Helper()
	cond = strings.TrimSpace(cond)
	if strings.HasPrefix(cond, "${{") && strings.HasSuffix(cond, "}}") {
		cond = strings.TrimSpace(cond[3 : len(cond)-2])
	}
	if cond == "" {
		cond = "success()"
	}
	p := &exprParser{src: cond, ctx: ctx, status: status}
	v, err := p.parse()
	if err != nil {
		t.Fatalf("if: %s: %v", cond, err)
	}
	if !p.statusCalled {
		return !status.failed && !status.cancelled && truthy(v)
	}
	return truthy(v)
}

// runStatus is what the status functions see: a job's earlier steps, or a
// job's needs, and whether the run was cancelled.
type runStatus struct{ failed, cancelled bool }

type exprParser struct {
	src          string
	pos          int
	ctx          map[string]string
	status       runStatus
	statusCalled bool
}

func (p *exprParser) parse() (any, error) {
	v, err := p.or()
	if err == nil && p.skip() < len(p.src) {
		err = fmt.Errorf("unexpected %q", p.src[p.pos:])
	}
	return v, err
}

func (p *exprParser) skip() int {
	for p.pos < len(p.src) && unicode.IsSpace(rune(p.src[p.pos])) {
		p.pos++
	}
	return p.pos
}

func (p *exprParser) take(op string) bool {
	p.skip()
	if strings.HasPrefix(p.src[p.pos:], op) {
		p.pos += len(op)
		return true
	}
	return false
}

func (p *exprParser) or() (any, error) {
	l, err := p.and()
	for err == nil && p.take("||") {
		var r any
		if r, err = p.and(); !truthy(l) {
			l = r
		}
	}
	return l, err
}

func (p *exprParser) and() (any, error) {
	l, err := p.compare()
	for err == nil && p.take("&&") {
		var r any
		if r, err = p.compare(); truthy(l) {
			l = r
		}
	}
	return l, err
}

func (p *exprParser) compare() (any, error) {
	l, err := p.unary()
	for err == nil {
		var eq bool
		switch {
		case p.take("=="):
			eq = true
		case p.take("!="):
		default:
			return l, nil
		}
		var r any
		if r, err = p.unary(); err == nil {
			l = looseEqual(l, r) == eq
		}
	}
	return l, err
}

func (p *exprParser) unary() (any, error) {
	if p.skip(); strings.HasPrefix(p.src[p.pos:], "!") && !strings.HasPrefix(p.src[p.pos:], "!=") {
		p.pos++
		v, err := p.unary()
		return !truthy(v), err
	}
	return p.primary()
}

func (p *exprParser) primary() (any, error) {
	p.skip()
	if p.take("(") {
		v, err := p.or()
		if err == nil && !p.take(")") {
			err = fmt.Errorf("missing ) at %d", p.pos)
		}
		return v, err
	}
	if p.pos < len(p.src) && p.src[p.pos] == '\'' {
		var b strings.Builder
		for p.pos++; p.pos < len(p.src); p.pos++ {
			if p.src[p.pos] == '\'' {
				if p.pos+1 < len(p.src) && p.src[p.pos+1] == '\'' {
					b.WriteByte('\'')
					p.pos++
					continue
				}
				p.pos++
				return b.String(), nil
			}
			b.WriteByte(p.src[p.pos])
		}
		return nil, fmt.Errorf("unterminated string")
	}
	start := p.pos
	for p.pos < len(p.src) && (isNameByte(p.src[p.pos]) || p.src[p.pos] == '.') {
		p.pos++
	}
	word := p.src[start:p.pos]
	switch {
	case word == "":
		return nil, fmt.Errorf("unexpected %q", p.src[p.pos:])
	case word == "true" || word == "false":
		return word == "true", nil
	case word == "null":
		return nil, nil
	case p.take("("):
		return p.call(word)
	}
	if n, err := strconv.ParseFloat(word, 64); err == nil {
		return n, nil
	}
	if v, ok := p.ctx[word]; ok {
		return v, nil
	}
	return nil, nil
}

func (p *exprParser) call(name string) (any, error) {
	var args []any
	for !p.take(")") {
		if len(args) > 0 && !p.take(",") {
			return nil, fmt.Errorf("%s(: missing , or )", name)
		}
		v, err := p.or()
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	str := func(i int) string { return strings.ToLower(fmt.Sprint(orEmpty(args[i]))) }
	switch {
	case name == "success" && len(args) == 0:
		p.statusCalled = true
		return !p.status.failed && !p.status.cancelled, nil
	case name == "failure" && len(args) == 0:
		p.statusCalled = true
		return p.status.failed, nil
	case name == "cancelled" && len(args) == 0:
		p.statusCalled = true
		return p.status.cancelled, nil
	case name == "always" && len(args) == 0:
		p.statusCalled = true
		return true, nil
	case name == "startsWith" && len(args) == 2:
		return strings.HasPrefix(str(0), str(1)), nil
	case name == "contains" && len(args) == 2:
		return strings.Contains(str(0), str(1)), nil
	}
	return nil, fmt.Errorf("function %s with %d arguments is not known here", name, len(args))
}

func isNameByte(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

// truthy: false, 0, "" and null are false, as in GitHub's expressions.
func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case float64:
		return v != 0 && !math.IsNaN(v)
	case string:
		return v != ""
	}
	return true
}

// looseEqual: strings ignoring case; otherwise both as numbers (null and ""
// are 0, a string that is no number is NaN).
func looseEqual(a, b any) bool {
	as, aok := a.(string)
	bs, bok := b.(string)
	if aok && bok {
		return strings.EqualFold(as, bs)
	}
	return number(a) == number(b)
}

func number(v any) float64 {
	switch v := v.(type) {
	case nil:
		return 0
	case bool:
		if v {
			return 1
		}
		return 0
	case float64:
		return v
	case string:
		if strings.TrimSpace(v) == "" {
			return 0
		}
		if n, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
			return n
		}
	}
	return math.NaN()
}

// The evaluator against cases whose value GitHub documents ("Expressions":
// operators, falsy values, status check functions).
func TestExpressionEvaluator(t *testing.T) {
	ctx := map[string]string{"needs.a.outputs.x": "[]", "steps.s.outcome": "Success", "inputs.b": "true"}
	for _, c := range []struct {
		expr   string
		status runStatus
		want   bool
	}{
		{"needs.a.outputs.x != '[]'", runStatus{}, false},
		{"needs.a.outputs.missing != ''", runStatus{}, false}, // null == '' (both 0)
		{"steps.s.outcome == 'success'", runStatus{}, true},   // case-insensitive
		{"steps.s.outcome == 'success'", runStatus{failed: true}, false},
		{"${{ !cancelled() && steps.s.outcome == 'success' }}", runStatus{failed: true}, true},
		{"!cancelled()", runStatus{cancelled: true}, false},
		{"always()", runStatus{cancelled: true}, true},
		{"failure()", runStatus{failed: true}, true},
		{"inputs.b == 'true' && (needs.a.outputs.x == '[]' || false)", runStatus{}, true},
		{"startsWith(inputs.b, 'TR')", runStatus{}, true},
		{"''", runStatus{}, false},
	} {
		if got := evalIf(t, c.expr, ctx, c.status); got != c.want {
			t.Errorf("%s with %+v = %t, want %t", c.expr, c.status, got, c.want)
		}
	}
}
