import CSource
import Kbuild

/// A unit of linking as kbuild builds it: one `.ko` when its config is `m`, or built-in code.
public struct ModuleUnit: Sendable, Hashable {
    /// The module path, e.g. `drivers/iommu/arm-smmu-v3.ko`.
    public var name: String
    /// Its objects' sources that exist in the tree (`.c`, `.S`, and `.c` files those include).
    public var sources: [String]
    /// The sources that can be part of the module when it is `m`: a composite's part whose own
    /// symbol cannot be set then (`bcma-$(CONFIG_BCMA_HOST_SOC) += host_soc.o` with
    /// `depends on BCMA=y`) is built only into vmlinux.
    public var moduleSources: [String] = []
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
    /// The `#if` an included `.c` source is included under (`#ifdef CONFIG_MFD_SM501` around
    /// `#include "ohci-sm501.c"`): its code exists only where that holds.
    public var sourceGuards: [String: PreprocessorCondition] = [:]

    /// Groups of symbols of which one must be set, for the unit (`anyOf`) and for a source
    /// (`sourceAnyOf`): `ifneq ($(filter y,$(CONFIG_A) $(CONFIG_B)),)` around its line.
    public var anyOf: [[String]] = []
    public var sourceAnyOf: [String: [[String]]] = [:]
    /// `ifndef CONFIG_X` / `ifneq ($(CONFIG_X),y)` around the unit's line: X must not be set (or y).
    public var excluded: [(config: String, builtin: Bool)] = []

    /// Every symbol that must be y for `source` to be linked into vmlinux.
    public func builtinChain(of source: String) -> [String] {
        var chain = configs
        for c in sourceConditions[source] ?? [] where !chain.contains(c) { chain.append(c) }
        return chain
    }

    /// The groups of which one symbol must be y for `source` to be linked into vmlinux.
    public func builtinAlternatives(of source: String) -> [[String]] { anyOf + (sourceAnyOf[source] ?? []) }

    public static func == (a: ModuleUnit, b: ModuleUnit) -> Bool {
        a.name == b.name && a.sources == b.sources && a.configs == b.configs && a.config == b.config
            && a.canBeModule == b.canBeModule && a.canBeBuiltin == b.canBeBuiltin
    }

    public func hash(into h: inout Hasher) {
        h.combine(name)
        h.combine(configs)
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
