import Facts
import Foundation
import Git
import Mail
import Report
import Rules

/// Robot-style replies (`--format mail`), as the kernel test robot answers a posting that breaks
/// the build: one RFC 822 message per patch that introduced error or warning findings, threaded
/// under it (`In-Reply-To`, `References`), to its author with its recipients in copy, saying what
/// breaks and in which configuration, the modpost line it predicts, how to reproduce, and the
/// trailers for the fix. Findings of no patch go under the cover letter. modcheck sends nothing:
/// the output is an mbox for `git send-email` or `msmtp`, or one file per reply.
public struct MailReply: Sendable, Equatable {
    public var messageId: String
    public var inReplyTo: String
    public var references: [String]
    public var from: String
    public var to: [String]
    public var cc: [String]
    public var subject: String
    public var date: Date
    public var body: String
    /// What an earlier run that sent this reply remembers: the message and the findings' identities.
    public var key: String

    /// The message as RFC 822 text (LF line ends, as `git send-email` reads files).
    public var text: String {
        var lines = [
            "From: \(from)",
            "To: \(to.joined(separator: ", "))",
        ]
        if !cc.isEmpty { lines.append("Cc: \(cc.joined(separator: ",\n    "))") }
        lines += [
            "Subject: \(MailReplies.headerSafe(subject))",
            "Date: \(MailReplies.rfc2822(date))",
            "Message-ID: \(messageId)",
            "In-Reply-To: \(inReplyTo)",
            "References: \(references.joined(separator: "\n    "))",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: 8bit",
            "",
        ]
        return lines.joined(separator: "\n") + "\n" + body
    }
}

public enum MailReplies {
    /// What every reply of a run shares.
    public struct Context: Sendable {
        /// The replies' sender ("Name <address>"): the repository's git identity, else modcheck's.
        public var sender: String
        /// The repository as the reproduction command names it.
        public var repository: String
        public var now: Date

        public init(sender: String, repository: String, now: Date = Date()) {
            self.sender = sender
            self.repository = repository
            self.now = now
        }

        /// The sender from the repository's `user.name` / `user.email`, else modcheck's own.
        public static func of(_ session: Session) -> Context {
            let name = session.repository.configString("user.name")
            let email = session.repository.configString("user.email")
            let sender = email.map { "\(name ?? "modcheck") <\($0)>" } ?? "modcheck <modcheck@localhost>"
            return Context(sender: sender, repository: session.repository.workingDirectory ?? session.repositoryPath)
        }
    }

    /// One posting: its patches (the messages the findings name), its cover letter, the base
    /// it was checked on (and why), and the findings of its check.
    public static func replies(
        patches: [SeriesPatch], cover: MailMessage?, findings: [Finding], base: String, baseReason: String?,
        context: Context
    ) -> [MailReply] {
        let worth = findings.filter { $0.severity == .error || $0.severity == .warning }
        guard !worth.isEmpty else { return [] }
        let byId = Dictionary(
            patches.compactMap { p in p.messageId.map { ($0, p.message) } }, uniquingKeysWith: { a, _ in a })
        // The message each finding answers: its patch's, else the cover letter (else the first patch).
        let fallback = cover ?? patches.first?.message
        var order: [String] = []
        var grouped: [String: (message: MailMessage, findings: [Finding])] = [:]
        for f in worth {
            guard let message = f.messageId.flatMap({ byId[$0] }) ?? fallback, let id = message.messageID else { continue }
            if grouped[id] == nil {
                order.append(id)
                grouped[id] = (message, [])
            }
            grouped[id]?.findings.append(f)
        }
        let mbox = patches.count > 1 || cover != nil ? "series.mbx" : "patch.mbx"
        return order.compactMap { id in
            guard let (message, found) = grouped[id], found.contains(where: { $0.fixedBy == nil }) else { return nil }
            return reply(to: message, findings: found, base: base, baseReason: baseReason, mbox: mbox, context: context)
        }
    }

    static func reply(
        to message: MailMessage, findings: [Finding], base: String, baseReason: String?, mbox: String,
        context: Context
    ) -> MailReply {
        let id = bracketed(message.messageID ?? "unknown")
        let identities = findings.map { "\($0.rule)|\($0.module ?? "")|\($0.symbol ?? "")|\($0.file ?? "")" }.sorted()
        let key = id + " " + identities.joined(separator: " ")
        let digest = (try? Repository.blobHash(Array(key.utf8)))?.hex.prefix(16) ?? "0"
        let host = context.sender.split(separator: "@").last.map { String($0.dropLast($0.hasSuffix(">") ? 1 : 0)) }
        let replyId = "<modcheck-\(digest)@\(host ?? "localhost")>"
        var subject = message.subject ?? "(no subject)"
        if !subject.lowercased().hasPrefix("re:") { subject = "Re: " + subject }
        let author = message.from ?? ""
        var seen: Set<String> = [MailAddress.address(in: author).lowercased()]
        var cc: [String] = []
        for r in message.recipients where seen.insert(MailAddress.address(in: r).lowercased()).inserted { cc.append(r) }
        return MailReply(
            messageId: replyId, inReplyTo: id, references: message.references.map(bracketed).filter { $0 != id } + [id],
            from: context.sender, to: [author].filter { !$0.isEmpty }, cc: cc, subject: subject, date: context.now,
            body: body(message: message, findings: findings, base: base, baseReason: baseReason, mbox: mbox, replyId: replyId, context: context),
            key: key)
    }

    static func body(
        message: MailMessage, findings: [Finding], base: String, baseReason: String?, mbox: String,
        replyId: String, context: Context
    ) -> String {
        let name = (message.from ?? "").split(separator: "<").first.map { $0.trimmingCharacters(in: .whitespaces) }
            .flatMap { $0.split(separator: " ").first.map(String.init) }?.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        let open = findings.filter { $0.fixedBy == nil }
        let errors = open.filter { $0.severity == .error }.count
        let warnings = open.count - errors
        var counts: [String] = []
        if errors > 0 { counts.append("\(errors) error\(errors == 1 ? "" : "s")") }
        if warnings > 0 { counts.append("\(warnings) warning\(warnings == 1 ? "" : "s")") }
        var out: [String] = []
        out.append("Hi\(name.map { " " + $0 } ?? ""),")
        out.append("")
        out.append("modcheck, a module-ability checker for kernel patches, found \(counts.joined(separator: " and ")) in")
        let why: [String: String] = [
            "trailer": "its base-commit: trailer", "preimage": "the blobs its diff was made against",
            "applies": "where its files apply", "fallback": "the base given",
        ]
        out.append("this patch, applied with the patches before it on \(base)\(baseReason.map { " (\(why[$0] ?? $0))" } ?? ""):")
        out.append("")
        for f in findings { out.append("  " + TextRenderer.line(f)) }
        let configs = Array(Set(open.compactMap(\.config))).sorted()
        if !configs.isEmpty {
            out.append("")
            out.append("It breaks with \(configs.map { "\($0)=m" }.joined(separator: ", ")) (a configuration Kconfig accepts;")
            out.append("each finding names one).")
        }
        let modpost = open.compactMap(predictedModpost)
        if !modpost.isEmpty {
            out.append("")
            out.append("The build would stop at modpost:")
            out.append("")
            for line in modpost { out.append("  " + line) }
        }
        out.append("")
        out.append("To reproduce (the series saved as an mbox, e.g. with b4 am \(message.messageID.map(unbracketed) ?? "<message-id>")):")
        out.append("")
        out.append("  modcheck series --repo \(context.repository) --base \(base) \(mbox)")
        out.append("")
        out.append("Why each rule matters, and how such a finding is fixed:")
        out.append("")
        for rule in Array(Set(findings.map(\.rule))).sorted() { out.append("  modcheck explain \(rule)") }
        out.append("")
        out.append("If you fix this in a new version of the patch or a separate one, kindly add:")
        out.append("")
        out.append("  Reported-by: \(context.sender)")
        out.append("  Closes: https://lore.kernel.org/r/\(unbracketed(replyId))/")
        out.append("")
        out.append("-- ")
        let tool = ToolIdentity.current
        out.append("modcheck\(tool.map { " \($0.modcheck) (libgit2 \($0.libgit2), rules \($0.rules))" } ?? "")")
        return out.joined(separator: "\n") + "\n"
    }

    /// The modpost error a finding's message quotes (`modpost: "sym" [x.ko] undefined!`).
    static func predictedModpost(_ f: Finding) -> String? {
        guard let start = f.message.range(of: "modpost: \""),
            let end = f.message.range(of: "undefined!", range: start.upperBound..<f.message.endIndex)
        else { return nil }
        return "ERROR: " + f.message[start.lowerBound..<end.upperBound]
    }

    static func bracketed(_ id: String) -> String { "<" + unbracketed(id) + ">" }

    static func unbracketed(_ id: String) -> String {
        id.trimmingCharacters(in: CharacterSet(charactersIn: "<> "))
    }

    static func headerSafe(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
    }

    static func rfc2822(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return f.string(from: date)
    }

    /// The replies as an mboxrd stream (`From ` separators; body lines matching `>*From ` quoted).
    public static func mbox(_ replies: [MailReply]) -> String {
        replies.map { reply in
            let lines = reply.text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                var rest = Substring(line)
                while rest.hasPrefix(">") { rest = rest.dropFirst() }
                return rest.hasPrefix("From ") ? ">" + line : String(line)
            }
            return "From modcheck Thu Jan  1 00:00:00 1970\n" + lines.joined(separator: "\n") + "\n"
        }.joined()
    }

    /// One file per reply in `directory` (made if missing): `0001-re-<subject>.eml`, …; the paths.
    public static func write(_ replies: [MailReply], to directory: String) throws -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw InputError("\(directory): cannot create the output directory (\(error.localizedDescription))")
        }
        var paths: [String] = []
        for (n, reply) in replies.enumerated() {
            let slug = reply.subject.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
                .reduce(into: "") { out, c in if !(c == "-" && out.hasSuffix("-")) { out.append(c) } }
            let path = directory + "/" + String(format: "%04d-", n + 1) + String(slug.prefix(60)).trimmingCharacters(in: CharacterSet(charactersIn: "-")) + ".eml"
            guard FileManager.default.createFile(atPath: path, contents: Data(reply.text.utf8)) else {
                throw InputError("\(path): cannot write the reply")
            }
            paths.append(path)
        }
        return paths
    }

    // MARK: Replies already sent

    /// The replies an earlier run gave (their keys, in the cache directory): a posting answered
    /// once is not answered again when `--since` windows overlap.
    public static func unanswered(_ replies: [MailReply], stateFile: String?) -> [MailReply] {
        guard let stateFile, let data = FileManager.default.contents(atPath: stateFile) else { return replies }
        let known = Set(String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init))
        return replies.filter { !known.contains($0.key) }
    }

    /// Remembers `replies` as given (appended under a lock: runs may overlap).
    public static func remember(_ replies: [MailReply], stateFile: String?) {
        guard let stateFile, !replies.isEmpty else { return }
        try? FileManager.default.createDirectory(
            atPath: (stateFile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let fd = open(stateFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        flock(fd, LOCK_EX)
        defer { flock(fd, LOCK_UN) }
        let bytes = Array(replies.map { $0.key + "\n" }.joined().utf8)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
    }

    /// Where the replies a cache remembers are kept.
    public static func stateFile(cacheDirectory: String?) -> String {
        (cacheDirectory ?? FactCache.defaultDirectory()) + "/replied-v1.txt"
    }
}
