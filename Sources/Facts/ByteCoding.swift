import Foundation

/// A compact binary encoding for cached facts: LEB128 integers and length-prefixed UTF-8 strings,
/// with a per-record string table so repeated names (conditions, callees) cost one varint.
public struct ByteWriter {
    public private(set) var bytes: [UInt8] = []
    private var strings: [String: Int] = [:]

    public init() { bytes.reserveCapacity(1024) }

    /// A writer of a small value (`init()` makes room for a record's kilobyte).
    public init(capacity: Int) { bytes.reserveCapacity(capacity) }

    public mutating func int(_ value: Int) { ByteWriter.append(value, to: &bytes) }

    /// Appends `value` as `int` writes it, to bytes of the caller's (no writer made).
    public static func append(_ value: Int, to bytes: inout [UInt8]) {
        var v = UInt64(bitPattern: Int64(value))
        // Zig-zag so small negatives stay small.
        v = (v << 1) ^ UInt64(bitPattern: Int64(value) >> 63)
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    public mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    /// Strings seen before in this record are written as a back-reference.
    public mutating func string(_ value: String) {
        if let index = strings[value] {
            int(-(index + 1))
            return
        }
        strings[value] = strings.count
        int(value.utf8.count)
        bytes.append(contentsOf: value.utf8)
    }

    public mutating func optionalString(_ value: String?) {
        bool(value != nil)
        if let value { string(value) }
    }

    public mutating func strings(_ values: [String]) {
        int(values.count)
        for v in values { string(v) }
    }
}

public struct ByteDecodingError: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "corrupt cache record" }
}

public struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0
    private var table: [String] = []

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        table.reserveCapacity(64)
    }

    public var isAtEnd: Bool { offset >= bytes.count }
    /// How many bytes were read so far.
    public var position: Int { offset }

    public mutating func int() throws -> Int {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count, shift < 64 else { throw ByteDecodingError() }
            let b = bytes[offset]
            offset += 1
            result |= UInt64(b & 0x7f) << shift
            if b < 0x80 { break }
            shift += 7
        }
        let decoded = Int64(bitPattern: (result >> 1) ^ (0 &- (result & 1)))
        return Int(decoded)
    }

    public mutating func bool() throws -> Bool {
        guard offset < bytes.count else { throw ByteDecodingError() }
        defer { offset += 1 }
        return bytes[offset] != 0
    }

    public mutating func string() throws -> String {
        let n = try int()
        if n < 0 {
            let index = -n - 1
            guard index < table.count else { throw ByteDecodingError() }
            return table[index]
        }
        guard n <= bytes.count - offset else { throw ByteDecodingError() }
        let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n]), as: UTF8.self)
        offset += n
        table.append(s)
        return s
    }

    public mutating func optionalString() throws -> String? {
        try bool() ? try string() : nil
    }

    public mutating func strings() throws -> [String] {
        let n = try int()
        guard n >= 0, n <= bytes.count - offset else { throw ByteDecodingError() }
        var out: [String] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try string()) }
        return out
    }
}

extension ByteWriter {
    /// A count, then each element.
    public mutating func list<T>(_ values: [T], _ element: (T, inout ByteWriter) -> Void) {
        int(values.count)
        for v in values { element(v, &self) }
    }

    /// A dictionary by sorted key (the same bytes for the same contents), each value after its key.
    public mutating func map<V>(_ values: [String: V], _ value: (V, inout ByteWriter) -> Void) {
        list(values.sorted { $0.key < $1.key }) { entry, w in
            w.string(entry.key)
            value(entry.value, &w)
        }
    }
}

extension ByteReader {
    /// A count (no more than the bytes left: every element takes one at least), then that many
    /// elements.
    public mutating func list<T>(_ element: (inout ByteReader) throws -> T) throws -> [T] {
        let n = try int()
        guard n >= 0, n <= bytes.count - offset else { throw ByteDecodingError() }
        var out: [T] = []
        // (Bounded: a count read from a damaged buffer must not ask for gigabytes up front.)
        out.reserveCapacity(min(n, 1 << 16))
        for _ in 0..<n { out.append(try element(&self)) }
        return out
    }

    /// A dictionary written by `ByteWriter.map`.
    public mutating func map<V>(_ value: (inout ByteReader) throws -> V) throws -> [String: V] {
        var out: [String: V] = [:]
        for (key, v) in try list({ r in (try r.string(), try value(&r)) }) { out[key] = v }
        return out
    }
}

/// A result buffer that parallel workers fill at disjoint indices (each index written by one worker).
public struct ParallelSlots<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T?>

    public init(count: Int) {
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: nil)
    }

    public func set(_ i: Int, _ value: T?) { buffer[i] = value }
    public func get(_ i: Int) -> T? { buffer[i] }

    public func free() {
        buffer.deinitialize()
        buffer.deallocate()
    }
}

/// Strings' UTF-8 bytes side by side, to be ordered by their bytes without an array per string
/// (a snapshot's sorted name tables, a tree's path map).
public struct PackedNames {
    /// Every name's bytes, one after another; name `i` is `bytes[starts[i]..<starts[i + 1]]`.
    public private(set) var bytes: [UInt8] = []
    public private(set) var starts: [Int] = [0]

    public init<S: Sequence>(_ names: S) where S.Element == String {
        starts.reserveCapacity(names.underestimatedCount + 1)
        for name in names {
            bytes.append(contentsOf: name.utf8)
            starts.append(bytes.count)
        }
    }

    public var count: Int { starts.count - 1 }

    /// The names' indices in the order of their bytes (`compare`): sorted on each name's first
    /// eight bytes as one number (a shorter name reads zeros past its end; names hold no NUL),
    /// then, for the same eight, on all of them.
    public func byteOrder() -> [Int] {
        var keyed: [(prefix: UInt64, name: Int)] = []
        keyed.reserveCapacity(count)
        bytes.withUnsafeBytes { raw in
            for i in 0..<count {
                var prefix: UInt64 = 0
                for k in 0..<8 {
                    let at = starts[i] + k
                    prefix = prefix << 8 | UInt64(at < starts[i + 1] ? raw[at] : 0)
                }
                keyed.append((prefix, i))
            }
            func name(_ i: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: raw[starts[i]..<starts[i + 1]]) }
            keyed.sort { a, b in
                a.prefix != b.prefix ? a.prefix < b.prefix : PackedNames.compare(name(a.name), name(b.name)) < 0
            }
        }
        return keyed.map(\.name)
    }

    /// Byte order: `memcmp` of the common length, then the shorter first.
    public static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, b.count)
        if n > 0, let pa = a.baseAddress, let pb = b.baseAddress {
            let c = memcmp(pa, pb, n)
            if c != 0 { return Int(c) }
        }
        return a.count - b.count
    }
}
