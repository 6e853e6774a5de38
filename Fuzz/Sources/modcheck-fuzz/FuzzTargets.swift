import CSource
import Foundation
import Git
import Kbuild
import Kconfig
import Mail
import Rules

// One binary, one libFuzzer entry point; MODCHECK_FUZZ_TARGET picks the parser under test.
// Each target must return for every input without crashing, leaking or hanging (libFuzzer's
// -timeout and -rss_limit_mb enforce the last two).

enum FuzzTarget: String {
    case csource, kconfig, kbuild, mail, patch, rules
}

let target = FuzzTarget(rawValue: ProcessInfo.processInfo.environment["MODCHECK_FUZZ_TARGET"] ?? "") ?? {
    FileHandle.standardError.write(Data("MODCHECK_FUZZ_TARGET must be csource, kconfig, kbuild, mail, patch or rules\n".utf8))
    exit(2)
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    switch target {
    case .csource:
        // The first byte picks C or assembly and the scan depth, the rest is the file.
        let path = (bytes.first ?? 0) & 1 == 0 ? "drivers/iommu/fuzz.c" : "arch/x86/fuzz.S"
        let depth: ScanDepth = (bytes.first ?? 0) & 2 == 0 ? .full : .symbols
        _ = CSourceScanner.scan(path: path, bytes: UnsafeRawBufferPointer(rebasing: bytes.dropFirst()), depth: depth)
    case .kconfig:
        // The input is both the root Kconfig and every file it sources (cycles included).
        let text = String(decoding: bytes, as: UTF8.self)
        // Small source caps: every sourced path reads the same text, so a few `source` lines
        // already make a deep diamond; the caps' own handling is what is under test there.
        let tree = KconfigParser.parse(
            root: "Kconfig", srcarch: "x86", limits: SourceLimits(parsesPerFile: 8, parses: 256),
            read: { _ in text })
        let evaluator = KconfigEvaluator(tree: tree)
        for name in tree.symbols.keys.sorted().prefix(64) {
            _ = evaluator.range(name)
            _ = evaluator.canBeModule(name)
        }
        _ = KconfigParser.parseFile(path: "drivers/iommu/Kconfig", text: text)
    case .kbuild:
        let text = String(decoding: bytes, as: UTF8.self)
        _ = KbuildReader.parse(path: "drivers/iommu/Makefile", text: text)
        _ = KbuildReader.resolve(directories: ["": text, "drivers": text, "drivers/iommu": text])
    case .mail:
        let read = PatchInput.read(path: "fuzz.mbox", bytes: Array(bytes))
        let compact = read.messages.map { $0.compactedForArchive() }
        for m in compact { _ = m.patchText; _ = m.date; _ = m.headers }
        _ = SeriesGrouper.linkVersions(SeriesGrouper.group(compact))
        _ = SeriesGrouper.ordered(read.messages)
    case .patch:
        // The input is a patch (libgit2's diff parser behind PatchParser). Each file's hunks are
        // applied to the preimage they describe (so placement succeeds and the offsets are
        // exercised) and to the input itself (so it mostly fails, cleanly).
        guard let files = try? PatchParser.parse(Array(bytes)) else { break }
        for file in files {
            var preimage: [UInt8] = []
            for hunk in file.hunks {
                for line in hunk.lines where line.origin != .addition {
                    preimage += line.content
                    if line.hasNewline { preimage.append(UInt8(ascii: "\n")) }
                }
            }
            _ = try? applyHunks(file.hunks, to: preimage, path: file.path)
            _ = try? applyHunks(file.hunks, to: Array(bytes), path: file.path)
        }
    case .rules:
        let text = String(decoding: bytes, as: UTF8.self)
        _ = try? RuleCatalog.rule(yaml: text, file: "rules/fuzz.yaml")
        _ = try? Policy.parse(text, file: ".modcheck.yaml")
    }
    return 0
}

// SwiftPM links an executable target's entry point as `<module>_main`; with -parse-as-library
// there is none, so it hands control to libFuzzer's driver here.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

@_cdecl("modcheck_fuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, fuzzOne)
}
