package waitingroom

// line is the memory store's ordered set of waiting visitors, like a Redis
// sorted set: members ordered by (score, id), with the rank of a member and
// the member at a rank in O(log n). It is a treap whose nodes count the
// nodes below them.
type line struct {
	root *node
	rnd  uint64 // xorshift state for node priorities
}

type node struct {
	score       int64
	id          string
	prio        uint64
	size        int
	left, right *node
}

func (n *node) less(score int64, id string) bool {
	return n.score < score || (n.score == score && n.id < id)
}

func size(n *node) int {
	if n == nil {
		return 0
	}
	return n.size
}

func (n *node) fix() { n.size = 1 + size(n.left) + size(n.right) }

// Len is the number of members.
func (l *line) Len() int { return size(l.root) }

func (l *line) prio() uint64 {
	if l.rnd == 0 {
		l.rnd = 0x9e3779b97f4a7c15
	}
	l.rnd ^= l.rnd << 13
	l.rnd ^= l.rnd >> 7
	l.rnd ^= l.rnd << 17
	return l.rnd
}

// split divides t into the members before (score, id) and the others.
func split(t *node, score int64, id string) (a, b *node) {
	if t == nil {
		return nil, nil
	}
	if t.less(score, id) {
		t.right, b = split(t.right, score, id)
		t.fix()
		return t, b
	}
	a, t.left = split(t.left, score, id)
	t.fix()
	return a, t
}

func merge(a, b *node) *node {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case a.prio > b.prio:
		a.right = merge(a.right, b)
		a.fix()
		return a
	default:
		b.left = merge(a, b.left)
		b.fix()
		return b
	}
}

// Insert adds a member that is not in the set.
func (l *line) Insert(score int64, id string) {
	a, b := split(l.root, score, id)
	n := &node{score: score, id: id, prio: l.prio(), size: 1}
	l.root = merge(merge(a, n), b)
}

// Remove deletes the member (score, id) if it is in the set.
func (l *line) Remove(score int64, id string) {
	l.root = remove(l.root, score, id)
}

func remove(t *node, score int64, id string) *node {
	if t == nil {
		return nil
	}
	if t.score == score && t.id == id {
		return merge(t.left, t.right)
	}
	if t.less(score, id) {
		t.right = remove(t.right, score, id)
	} else {
		t.left = remove(t.left, score, id)
	}
	t.fix()
	return t
}

// Rank is the number of members ordered before (score, id).
func (l *line) Rank(score int64, id string) int {
	r := 0
	for t := l.root; t != nil; {
		if t.less(score, id) {
			r += size(t.left) + 1
			t = t.right
		} else {
			t = t.left
		}
	}
	return r
}

// At returns the member at rank i (0-based); ok is false past the end.
func (l *line) At(i int) (score int64, id string, ok bool) {
	t := l.root
	for t != nil {
		ls := size(t.left)
		switch {
		case i < ls:
			t = t.left
		case i == ls:
			return t.score, t.id, true
		default:
			i -= ls + 1
			t = t.right
		}
	}
	return 0, "", false
}
