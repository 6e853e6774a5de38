extension MailMessage {
    /// Header fields series grouping, versions and the triage report read.
    static let keptFields: [[UInt8]] = [
        "from", "to", "cc", "subject", "date", "message-id", "in-reply-to", "references", "content-type",
    ].map { Array($0.utf8) }

    /// The message as a whole-archive reader keeps it: only the threading and identity header
    /// fields (list archives add kilobytes of Received/DKIM/ARC per message) and, for a reply
    /// without a diff, only what the reply itself says — quoted text and the signature dropped, as
    /// trailer collection skips them anyway. A kernel list's replies mostly quote whole patches,
    /// so this keeps a 32,000-message archive in a fraction of the memory.
    public func compactedForArchive() -> MailMessage {
        var block: [UInt8] = []
        var kept: [HeaderField] = []
        headerBlock.withUnsafeBufferPointer { p in
            for f in fields
            where MailMessage.keptFields.contains(where: { Bytes.equalsLowercase(p, f.nameStart, f.nameEnd, $0) }) {
                let start = block.count
                block += p[f.nameStart..<f.valueEnd]
                kept.append(
                    HeaderField(
                        nameStart: start, nameEnd: start + (f.nameEnd - f.nameStart),
                        valueStart: start + (f.valueStart - f.nameStart), valueEnd: block.count))
                block.append(Bytes.lf)
            }
        }
        var reducedBody = body
        if diffRanges.isEmpty && !KernelTestRobot.isRobot(self) {
            reducedBody = []
            var i = 0
            let n = body.count
            while i < n {
                var end = i
                while end < n && body[end] != Bytes.lf { end += 1 }
                let line = body[i..<end]
                if line.elementsEqual([0x2d, 0x2d, Bytes.space]) { break }
                if line.first(where: { $0 != Bytes.space && $0 != Bytes.tab }) != 0x3e {
                    reducedBody += line
                    reducedBody.append(Bytes.lf)
                }
                i = end + 1
            }
        }
        return MailMessage(
            headerBlock: block, fields: kept, body: reducedBody, diffRanges: diffRanges, sourceName: sourceName,
            diagnostics: diagnostics)
    }
}
