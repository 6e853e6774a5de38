import CLibGit2

/// A git object id (SHA-1), stored inline as three big-endian words so that hashing, equality and
/// byte order are a few integer operations and ids are freely shared across threads.
public struct ObjectID: Hashable, Comparable, Sendable, CustomStringConvertible {
    private var high: UInt64
    private var middle: UInt64
    private var low: UInt32

    /// The id of 20 raw bytes at `raw` (a git_oid, a tree entry's id).
    init(rawPointer raw: UnsafeRawPointer) {
        high = UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self))
        middle = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        low = UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
    }

    init(_ oid: git_oid) {
        var copy = oid
        self = withUnsafeBytes(of: &copy.id) { ObjectID(rawPointer: $0.baseAddress!) }
    }

    init(_ oid: UnsafePointer<git_oid>) {
        self.init(rawPointer: UnsafeRawPointer(oid))
    }

    /// An id from its 20 raw bytes; nil for any other length.
    public init?(raw bytes: some Collection<UInt8>) {
        guard bytes.count == 20 else { return nil }
        let array = Array(bytes)
        self = array.withUnsafeBytes { ObjectID(rawPointer: $0.baseAddress!) }
    }

    /// An id from 40 hex digits (either case); nil for anything else.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 40 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 20)
        for i in 0..<20 {
            guard let hi = Self.nibble(digits[2 * i]), let lo = Self.nibble(digits[2 * i + 1]) else {
                return nil
            }
            bytes[i] = hi << 4 | lo
        }
        self.init(raw: bytes)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// The 20 raw bytes.
    public var rawBytes: [UInt8] {
        var words = (high.bigEndian, middle.bigEndian, low.bigEndian)
        return withUnsafeBytes(of: &words) { Array($0.prefix(20)) }
    }

    /// The id as libgit2 takes it.
    var oid: git_oid {
        var oid = git_oid()
        var words = (high.bigEndian, middle.bigEndian, low.bigEndian)
        withUnsafeBytes(of: &words) { source in
            withUnsafeMutableBytes(of: &oid.id) {
                $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: source.prefix(20)))
            }
        }
        return oid
    }

    /// The 40 lowercase hex digits.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(40)
        for byte in rawBytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { hex }

    public static func < (l: ObjectID, r: ObjectID) -> Bool {
        (l.high, l.middle, l.low) < (r.high, r.middle, r.low)
    }
}
