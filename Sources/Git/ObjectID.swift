import CLibGit2

/// A git object id (SHA-1), stored inline so it is cheap to hash, compare and share across threads.
public struct ObjectID: Hashable, Comparable, Sendable, CustomStringConvertible {
    var a: UInt64
    var b: UInt64
    var c: UInt32

    init(_ oid: git_oid) {
        var copy = oid
        var a: UInt64 = 0
        var b: UInt64 = 0
        var c: UInt32 = 0
        withUnsafeBytes(of: &copy.id) { raw in
            for i in 0..<8 { a = a << 8 | UInt64(raw[i]) }
            for i in 8..<16 { b = b << 8 | UInt64(raw[i]) }
            for i in 16..<20 { c = c << 8 | UInt32(raw[i]) }
        }
        self.a = a
        self.b = b
        self.c = c
    }

    /// The 20 raw bytes.
    public var rawBytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 20)
        for i in 0..<8 { out[i] = UInt8(truncatingIfNeeded: a >> (56 - 8 * UInt64(i))) }
        for i in 0..<8 { out[8 + i] = UInt8(truncatingIfNeeded: b >> (56 - 8 * UInt64(i))) }
        for i in 0..<4 { out[16 + i] = UInt8(truncatingIfNeeded: c >> (24 - 8 * UInt32(i))) }
        return out
    }

    public init?(raw: [UInt8]) {
        guard raw.count == 20 else { return nil }
        var oid = git_oid()
        withUnsafeMutableBytes(of: &oid.id) { dst in
            for i in 0..<20 { dst[i] = raw[i] }
        }
        self.init(oid)
    }

    public init?(hex: String) {
        guard hex.utf8.count == 40 else { return nil }
        var oid = git_oid()
        guard git_oid_fromstrn(&oid, hex, 40) == 0 else { return nil }
        self.init(oid)
    }

    var oid: git_oid {
        var oid = git_oid()
        let raw = rawBytes
        withUnsafeMutableBytes(of: &oid.id) { dst in
            for i in 0..<20 { dst[i] = raw[i] }
        }
        return oid
    }

    public var hex: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(40)
        for byte in rawBytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { hex }

    public static func < (l: ObjectID, r: ObjectID) -> Bool { (l.a, l.b, l.c) < (r.a, r.b, r.c) }
}
