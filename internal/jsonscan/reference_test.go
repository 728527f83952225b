package jsonscan

import "strings"

// referenceMembers is Stream.Members(r, "task", "verdicts") written
// plainly, a byte at a time, from the rules in the package documentation:
// the structure of the whole document is checked, and task and verdicts in
// full.
func referenceMembers(doc []byte) ([2]string, error) {
	i := 0
	space := func() {
		for i < len(doc) && strings.IndexByte(" \t\r\n", doc[i]) >= 0 {
			i++
		}
	}
	// str skips a string whose opening quote is at i.
	str := func() error {
		for i++; i < len(doc); i++ {
			switch doc[i] {
			case '\\':
				i++
			case '"':
				i++
				return nil
			}
		}
		return ErrNotJSON
	}
	// container skips the array or object that opens at i: a backslash
	// escapes the byte after it, an escaped quote is no quote, and a
	// bracket outside strings opens or closes a level.
	container := func() error {
		var stack []byte
		inString, escaped := false, false
		for ; i < len(doc); i++ {
			c, esc := doc[i], escaped
			escaped = false
			switch {
			case c == '\\' && !esc:
				escaped = true
			case c == '"' && !esc:
				inString = !inString
			case inString:
			case c == '{' || c == '[':
				if len(stack)+1 >= MaxDepth {
					return ErrTooDeep
				}
				stack = append(stack, c)
			case c == '}' || c == ']':
				if stack[len(stack)-1] != c-2 {
					return ErrNotJSON
				}
				if stack = stack[:len(stack)-1]; len(stack) == 0 {
					i++
					return nil
				}
			}
		}
		return ErrNotJSON
	}
	space()
	if i == len(doc) {
		return [2]string{}, ErrNotJSON
	}
	if doc[i] != '{' {
		if strings.IndexByte(`[{"-0123456789tfn`, doc[i]) >= 0 {
			return [2]string{}, ErrNotObject
		}
		return [2]string{}, ErrNotJSON
	}
	i++
	members := map[string]string{}
	space()
	if i < len(doc) && doc[i] == '}' {
		i++
	} else {
		for {
			if i == len(doc) || doc[i] != '"' {
				return [2]string{}, ErrNotJSON
			}
			start := i
			if err := str(); err != nil {
				return [2]string{}, err
			}
			name := string(doc[start+1 : i-1])
			space()
			if i == len(doc) || doc[i] != ':' {
				return [2]string{}, ErrNotJSON
			}
			i++
			space()
			if i == len(doc) {
				return [2]string{}, ErrNotJSON
			}
			start = i
			var err error
			switch doc[i] {
			case '{', '[':
				err = container()
			case '"':
				err = str()
			case ',', ':', '}', ']':
				err = ErrNotJSON
			default:
				for i < len(doc) && strings.IndexByte(" \t\r\n,:{}[]\"", doc[i]) < 0 {
					i++
				}
			}
			if err != nil {
				return [2]string{}, err
			}
			if _, seen := members[name]; !seen && (name == "task" || name == "verdicts") {
				if err := validValue(doc[start:i], MaxDepth-1); err != nil {
					return [2]string{}, err
				}
				members[name] = string(doc[start:i])
			}
			space()
			if i < len(doc) && doc[i] == ',' {
				i++
				space()
				continue
			}
			if i < len(doc) && doc[i] == '}' {
				i++
				break
			}
			return [2]string{}, ErrNotJSON
		}
	}
	space()
	if i != len(doc) {
		return [2]string{}, ErrNotJSON
	}
	return [2]string{members["task"], members["verdicts"]}, nil
}
