import Kbuild

/// A unit of linking as kbuild builds it: one `.ko` when its config is `m`, or built-in code.
public struct ModuleUnit: Sendable, Hashable {
    /// The module path, e.g. `drivers/iommu/arm-smmu-v3.ko`.
    public var name: String
    /// Its objects' C sources that exist in the tree.
    public var sources: [String]
    /// The Kconfig symbol on its own `obj-$(CONFIG_X)` line (nil for `obj-y`).
    public var config: String?
    /// Every symbol that gates it, outermost directory first.
    public var configs: [String]
    /// Whether worst-case (allmodconfig-like) configuration can make it a loadable module.
    public var canBeModule: Bool
    /// Whether some configuration links it into vmlinux.
    public var canBeBuiltin: Bool
    /// Symbols a source needs beyond `configs` to be part of the unit: a composite's part
    /// (`foo-$(CONFIG_FOO_ATA) += foo-ata.o`).
    public var sourceConditions: [String: [String]] = [:]

    /// Every symbol that must be y for `source` to be linked into vmlinux.
    public func builtinChain(of source: String) -> [String] {
        var chain = configs
        for c in sourceConditions[source] ?? [] where !chain.contains(c) { chain.append(c) }
        return chain
    }

    public var shortName: String {
        String(name.split(separator: "/").last ?? Substring(name))
    }
}

/// A place a symbol is defined non-static or exported, tree-wide.
public struct SymbolProvider: Sendable, Hashable {
    public var path: String
    public var line: Int
}
