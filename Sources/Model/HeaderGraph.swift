import CSource
import Facts
import Foundation
import Git

/// What reading one header gives its graph: its blob, its summary (nil when followed from kept
/// reads: made when needed), the headers its includes land on, and the notes reading it reported.
struct HeaderRead {
    var blob: ObjectID
    var summary: HeaderSummary?
    var includes: [Int]
    var notes: [String]
}

/// A set of header numbers of one HeaderGraph.
public struct HeaderSet: Sendable, Hashable {
    var words: [UInt64]

    init(count: Int) { words = Array(repeating: 0, count: (count + 63) / 64) }

    func contains(_ i: Int) -> Bool { i >= 0 && i / 64 < words.count && words[i / 64] & (1 << UInt64(i % 64)) != 0 }

    mutating func insert(_ i: Int) { words[i / 64] |= 1 << UInt64(i % 64) }

    mutating func formUnion(_ other: HeaderSet) {
        for k in 0..<min(words.count, other.words.count) { words[k] |= other.words[k] }
    }

    /// The members, in increasing order.
    var members: [Int] {
        var out: [Int] = []
        for (k, w) in words.enumerated() where w != 0 {
            var bits = w
            while bits != 0 {
                let t = bits.trailingZeroBitCount
                out.append(k * 64 + t)
                bits &= bits - 1
            }
        }
        return out
    }

    var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }
}

/// The headers of one tree, numbered, with their `#include` edges and the transitive closure of
/// each, computed as units ask for them. Every unit of a kernel tree reaches thousands of
/// headers (modcheck resolves includes for every architecture and every `#if` branch), mostly
/// the same ones: a closure is computed once per strongly connected group of headers and shared
/// as a bit set, not walked again per unit. Valid while no header's content or the set of
/// header paths changes; models derived from this one (a patch that touches no header) share it.
final class HeaderGraph: @unchecked Sendable {
    let paths: [String]
    let number: [String: Int]
    private let lock = NSLock()
    private var edges: [[Int]?]
    /// The reverse of `edges`, kept as headers are read: who includes each header.
    private var includers: [[Int]]
    private var closures: [HeaderSet?]
    private(set) var summaries: [HeaderSummary?]
    private(set) var blobs: [ObjectID?]
    /// Header numbers by blob (identical headers sit at several paths).
    private var byBlob: [ObjectID: [Int]] = [:]
    /// The graph this one was updated from, and the headers read again with their summaries
    /// there (`init(updating:changed:visit:)`).
    private(set) weak var updatedFrom: HeaderGraph?
    private(set) var replaced: [(header: Int, old: HeaderSummary?)] = []
    /// What an earlier run read of these headers (HeaderSnapshot.swift): a visit follows its
    /// edges when a header's blob is the kept one, and leaves the summary unmade.
    private(set) var kept: KeptHeaderReads?
    /// Makes the summary of a header read without one (followed from `kept`) when it is needed.
    private(set) var summarize: ((String, ObjectID) -> HeaderSummary?)?

    /// Gives a graph nothing was read of yet what an earlier run read.
    func keep(_ reads: KeptHeaderReads, summarize: @escaping (String, ObjectID) -> HeaderSummary?) {
        lock.withLock {
            kept = reads
            self.summarize = summarize
        }
    }

    /// The notes reading a header reported (by number; none for most).
    private var notes: [Int: [String]] = [:]


    /// Every header read (not those whose facts could not be read), by number.
    func readHeaders() -> [(header: Int, blob: ObjectID, includes: [Int], notes: [String])] {
        lock.withLock {
            var out: [(header: Int, blob: ObjectID, includes: [Int], notes: [String])] = []
            for (i, known) in edges.enumerated() {
                guard let known, let blob = blobs[i] else { continue }
                out.append((i, blob, known, notes[i] ?? []))
            }
            return out
        }
    }

    /// Whether this run read a header the kept reads did not have (what makes a new snapshot).
    var readBeyondKept: Bool {
        lock.withLock {
            for (i, known) in edges.enumerated() where known != nil && blobs[i] != nil {
                if kept?.reads[i]?.blob != blobs[i] { return true }
            }
            return false
        }
    }

    /// Nothing read yet: headers numbered in path order.
    private init(paths: [String], number: [String: Int]) {
        self.paths = paths
        self.number = number
        edges = Array(repeating: nil, count: paths.count)
        includers = Array(repeating: [], count: paths.count)
        closures = Array(repeating: nil, count: paths.count)
        summaries = Array(repeating: nil, count: paths.count)
        blobs = Array(repeating: nil, count: paths.count)
    }

    convenience init(paths: Set<String>) {
        let sorted = paths.sorted()
        var number: [String: Int] = [:]
        for (i, p) in sorted.enumerated() { number[p] = i }
        self.init(paths: sorted, number: number)
    }

    /// A graph of the same header paths as `base`, nothing read yet (its numbering shared, not
    /// sorted and indexed again).
    convenience init(layoutOf base: HeaderGraph) {
        self.init(paths: base.paths, number: base.number)
        (kept, summarize) = base.lock.withLock { (base.kept, base.summarize) }
    }

    /// A graph of `paths` (numbered afresh, or as `base` when they are its paths) that takes what
    /// `base` read of each header `keep` accepts — its blob, summary and includes, renumbered —
    /// so that only the other headers are read again (reading a header costs its facts, summary
    /// and include resolution; a closure from known includes costs little). Closures are all
    /// worked out again. A header whose include lands on a path this graph lacks is read again.
    convenience init(paths: Set<String>, reusing base: HeaderGraph, keep: (String) -> Bool) {
        if paths.count == base.paths.count && paths.allSatisfy({ base.number[$0] != nil }) {
            self.init(layoutOf: base)
        } else {
            self.init(paths: paths)
        }
        let same = self.paths == base.paths
        // (The base's tables as they are now; `keep` runs outside its lock.)
        let (known, summaries, blobs, baseNotes) = base.lock.withLock { (base.edges, base.summaries, base.blobs, base.notes) }
        // Kept reads hold while the numbering is the same (a visit checks each blob).
        (kept, summarize) = base.lock.withLock { (same ? base.kept : nil, base.summarize) }
        for (old, path) in base.paths.enumerated() {
            guard let includes = known[old], let new = same ? old : number[path], keep(path) else { continue }
            var mapped: [Int] = []
            mapped.reserveCapacity(includes.count)
            for w in includes {
                guard let target = same ? w : number[base.paths[w]] else { break }
                mapped.append(target)
            }
            guard mapped.count == includes.count else { continue }
            edges[new] = mapped
            self.summaries[new] = summaries[old]
            self.blobs[new] = blobs[old]
            notes[new] = baseNotes[old]
            if let blob = blobs[old] { byBlob[blob, default: []].append(new) }
        }
        for (v, known) in edges.enumerated() {
            for w in known ?? [] { includers[w].append(v) }
        }
    }

    /// `base` with the headers `changed` read again through `visit`: their blobs and summaries
    /// are new, the includes of every header and so every closure are the base's. Nil when a
    /// changed header that the base read includes other headers now (closures would differ).
    init?(updating base: HeaderGraph, changed: [Int], visit: (Int) -> HeaderRead?) {
        paths = base.paths
        number = base.number
        (edges, includers, closures, summaries, blobs, byBlob, kept, summarize, notes) = base.lock.withLock {
            (
                base.edges, base.includers, base.closures, base.summaries, base.blobs, base.byBlob, base.kept,
                base.summarize, base.notes
            )
        }
        updatedFrom = base
        for v in changed {
            guard let old = edges[v] else { continue }
            let oldSummary = summaries[v] ?? blobs[v].flatMap { blob in summarize?(paths[v], blob) }
            let read = visit(v)
            guard (read?.includes ?? []) == old else { return nil }
            replaced.append((v, oldSummary))
            if let was = blobs[v] {
                byBlob[was]?.removeAll { $0 == v }
                if byBlob[was]?.isEmpty == true { byBlob[was] = nil }
            }
            blobs[v] = read?.blob
            summaries[v] = read?.summary
            notes[v] = read.flatMap { $0.notes.isEmpty ? nil : $0.notes }
            if let blob = read?.blob { byBlob[blob, default: []].append(v) }
        }
    }

    func summary(_ i: Int) -> HeaderSummary? { lock.withLock { summaries[i] } }

    private var redeclaredMemo: Set<String>?

    /// The names a header read again declares or stubs now and did not before, or the other way
    /// round (a name outside this set is declared and stubbed by the same headers as in the graph
    /// this one was updated from: what a kept answer about it needs).
    var redeclaredNames: Set<String> {
        lock.withLock {
            if let redeclaredMemo { return redeclaredMemo }
            func touched(_ s: HeaderSummary?) -> Set<String> {
                guard let s else { return [] }
                return s.declared.union(s.conditions.keys)
            }
            var out = Set<String>()
            for (header, old) in replaced {
                let now = summaries[header] ?? blobs[header].flatMap { summarize?(paths[header], $0) }
                out.formUnion(touched(old).symmetricDifference(touched(now)))
            }
            redeclaredMemo = out
            return out
        }
    }
    func blob(_ i: Int) -> ObjectID? { lock.withLock { blobs[i] } }
    func headers(of blob: ObjectID) -> [Int] { lock.withLock { byBlob[blob] ?? [] } }

    /// `seeds` and every header read so far that includes one of them, transitively.
    func includers(reaching seeds: Set<Int>) -> Set<Int> {
        lock.withLock {
            var reached = seeds
            var work = Array(seeds)
            while let h = work.popLast() {
                for up in includers[h] where reached.insert(up).inserted { work.append(up) }
            }
            return reached
        }
    }

    /// The closure of the headers `roots`, each included (directly) by some source.
    /// `visit(i)` reads header i once: its blob, summary and the headers it includes.
    func closure(of roots: [Int], visit: (Int) -> HeaderRead?)
        -> HeaderSet
    {
        lock.lock()
        defer { lock.unlock() }
        var out = HeaderSet(count: paths.count)
        for r in roots {
            if closures[r] == nil { compute(from: r, visit: visit) }
            if let c = closures[r] { out.formUnion(c) }
        }
        return out
    }

    /// Tarjan's algorithm from `root` over headers without a closure yet; each finished
    /// component gets the union of its members and of the components it includes.
    private func compute(from root: Int, visit: (Int) -> HeaderRead?) {
        var order: [Int: Int] = [:]
        var low: [Int: Int] = [:]
        var onStack = Set<Int>()
        var stack: [Int] = []
        var counter = 0
        var work: [(node: Int, edge: Int)] = []
        func successors(_ v: Int) -> [Int] {
            if let known = edges[v] { return known }
            let read = visit(v)
            blobs[v] = read?.blob
            summaries[v] = read?.summary
            if let reported = read?.notes, !reported.isEmpty { notes[v] = reported }
            if let blob = read?.blob { byBlob[blob, default: []].append(v) }
            let next = read?.includes ?? []
            edges[v] = next
            for w in next { includers[w].append(v) }
            return next
        }
        func open(_ v: Int) {
            order[v] = counter
            low[v] = counter
            counter += 1
            stack.append(v)
            onStack.insert(v)
            work.append((v, 0))
            _ = successors(v)
        }
        open(root)
        while let (v, e) = work.last {
            let next = edges[v] ?? []
            if e < next.count {
                work[work.count - 1].edge += 1
                let w = next[e]
                if closures[w] != nil { continue }
                if order[w] == nil {
                    open(w)
                } else if onStack.contains(w) {
                    low[v] = min(low[v]!, order[w]!)
                }
                continue
            }
            work.removeLast()
            if let parent = work.last { low[parent.node] = min(low[parent.node]!, low[v]!) }
            guard low[v] == order[v] else { continue }
            var members: [Int] = []
            while let w = stack.popLast() {
                onStack.remove(w)
                members.append(w)
                if w == v { break }
            }
            var set = HeaderSet(count: paths.count)
            for m in members { set.insert(m) }
            for m in members {
                for w in edges[m] ?? [] where !set.contains(w) {
                    if let c = closures[w] { set.formUnion(c) }
                }
            }
            for m in members { closures[m] = set }
        }
    }
}
