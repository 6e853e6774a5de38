import CSource
import XCTest

final class ScannerTests: XCTestCase {
    func scan(_ text: String, path: String = "drivers/x/foo.c", depth: ScanDepth = .full) -> SourceFacts {
        CSourceScanner.scan(path: path, text: text, depth: depth)
    }

    func testDefinitionsStorageAndPrototypes() {
        let f = scan(
            """
            int global_var = 3;
            static int local_var;
            extern int declared_only;
            int prototype(int x);
            static inline int helper(void) { return 1; }
            int __init __attribute__((weak)) attributed(void)
            {
            	return 0;
            }
            struct iommu_group *
            multi_line(struct device *dev)
            {
            	return NULL;
            }
            int (*fn_ptr)(void) = NULL;
            """)
        let byName = Dictionary(f.definitions.map { ($0.name, $0.storage) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(byName["global_var"], .global)
        XCTAssertEqual(byName["local_var"], .staticLinkage)
        XCTAssertEqual(byName["helper"], .staticInline)
        XCTAssertEqual(byName["attributed"], .global)
        XCTAssertEqual(byName["multi_line"], .global)
        XCTAssertEqual(byName["fn_ptr"], .global)
        XCTAssertNil(byName["declared_only"], "extern is a declaration")
        XCTAssertNil(byName["prototype"], "a prototype is not a definition")
    }

    func testExportsIgnoreStringsCommentsAndMacroBodies() {
        let f = scan(
            """
            int a(void) { return 0; }
            EXPORT_SYMBOL_GPL(a);
            const char *s = "EXPORT_SYMBOL(fake_in_string)";
            /* EXPORT_SYMBOL(fake_in_comment); */
            // EXPORT_SYMBOL(fake_in_line_comment);
            #define EXPORT_IT(x) EXPORT_SYMBOL(x)
            EXPORT_SYMBOL(b);
            EXPORT_SYMBOL_NS_GPL(c, IOMMUFD);
            """)
        XCTAssertEqual(f.exports.map(\.name), ["a", "b", "c"])
        XCTAssertEqual(f.exports.map(\.flavour), [.gpl, .plain, .nsGpl("IOMMUFD")])
    }

    func testIfZeroWithUnbalancedBracesAndElseBranches() {
        let f = scan(
            """
            #if 0
            int dead(void) {
            #endif
            #ifdef CONFIG_FOO
            int foo_on(void) { return 1; }
            #else
            static inline int foo_on(void) { return 0; }
            #endif
            #if IS_ENABLED(CONFIG_BAR) && !defined(CONFIG_BAZ)
            int bar(void) { return 2; }
            #endif
            int after(void) { return 3; }
            """)
        XCTAssertFalse(f.definitions.contains { $0.name == "dead" })
        let foo = f.definitions.filter { $0.name == "foo_on" }
        XCTAssertEqual(foo.count, 2)
        XCTAssertEqual(foo[0].condition, .config("CONFIG_FOO", .defined))
        XCTAssertEqual(foo[1].condition, .not(.config("CONFIG_FOO", .defined)))
        XCTAssertEqual(
            f.definitions.first { $0.name == "bar" }?.condition,
            .and([.config("CONFIG_BAR", .enabled), .not(.config("CONFIG_BAZ", .defined))]))
        XCTAssertEqual(f.definitions.first { $0.name == "after" }?.condition, .always)
    }

    func testBranchesThatEachOpenAFunctionCountOnce() {
        let f = scan(
            """
            #ifdef CONFIG_A
            int f(int a) {
            #else
            int f(int b) {
            #endif
            	return 0;
            }
            int g(void) { return 1; }
            """)
        XCTAssertTrue(
            f.definitions.contains { $0.name == "g" && $0.condition == .always }, "\(f.definitions)")
    }

    func testReferencesCallsAddressesInitializersNotMembersOrLocals() {
        let f = scan(
            """
            static int probe(struct platform_device *pdev, int (*cb)(void))
            {
            	struct foo *foo = platform_get_drvdata(pdev);
            	int (*fn)(void) = pick();
            	int i, ret;
            	foo->ops->map(foo);
            	foo.unmap(foo);
            	fn();
            	cb();
            	ret = bus_set_iommu(&platform_bus_type, &ops);
            	if (ret & MASK)
            		return i;
            	return helper(&ret);
            }
            static struct iommu_ops ops = {
            	.device_group = pci_device_group,
            	.owner = THIS_MODULE,
            	.of_xlate = of_match_ptr(table),
            };
            """)
        let names = Set(f.references.map(\.name))
        XCTAssertTrue(
            names.isSuperset(of: [
                "platform_get_drvdata", "pick", "bus_set_iommu", "platform_bus_type", "helper",
                "pci_device_group", "THIS_MODULE", "of_match_ptr",
            ]), "\(names)")
        XCTAssertFalse(names.contains("map"))
        XCTAssertFalse(names.contains("unmap"))
        XCTAssertFalse(names.contains("fn"), "a local function pointer")
        XCTAssertFalse(names.contains("cb"), "a parameter")
        XCTAssertFalse(names.contains("ret"), "&ret of a local")
        XCTAssertFalse(names.contains("MASK"), "binary &")
        XCTAssertFalse(names.contains("if"))
    }

    func testDesignatedInitializersNestedAndArrays() {
        let f = scan(
            """
            static const struct of_device_id match[] = {
            	{ .compatible = "arm,smmu-v3", },
            	{ },
            };
            MODULE_DEVICE_TABLE(of, match);
            static struct platform_driver drv = {
            	.driver = {
            		.name = "x",
            		.of_match_table = of_match_ptr(match),
            		.suppress_bind_attrs = true,
            	},
            	.probe = probe,
            	.remove	= remove,
            };
            static struct virtio_driver vdrv = {
            	.driver.name = "v",
            	.id_table = id_table,
            };
            module_platform_driver(drv);
            MODULE_LICENSE("GPL" " v2");
            """)
        let drv = f.initializers.first { $0.variable == "drv" }
        XCTAssertEqual(drv?.structType, "platform_driver")
        XCTAssertEqual(
            drv?.fields.map(\.path),
            ["driver.name", "driver.of_match_table", "driver.suppress_bind_attrs", "probe", "remove"])
        XCTAssertEqual(drv?.fields.first { $0.path == "driver.suppress_bind_attrs" }?.value, "true")
        XCTAssertEqual(f.initializers.first { $0.variable == "match" }?.isArray, true)
        XCTAssertEqual(f.initializers.first { $0.variable == "match" }?.isConst, true)
        XCTAssertEqual(
            f.initializers.first { $0.variable == "vdrv" }?.fields.map(\.path), ["driver.name", "id_table"])
        XCTAssertEqual(
            f.invocations.map(\.name), ["MODULE_DEVICE_TABLE", "module_platform_driver", "MODULE_LICENSE"])
        XCTAssertEqual(f.invocations.first?.arguments, ["of", "match"])
    }

    func testWatchedCallsKeepArgumentsAndMemberAssignments() {
        let f = scan(
            """
            static int get(const struct iommu_ops *ops)
            {
            	if (!try_module_get(ops->owner))
            		return -ENODEV;
            	ops->owner = THIS_MODULE;
            	module_put(ops->owner);
            	return bus_set_iommu(&pci_bus_type, NULL);
            }
            """)
        let fn = f.functions.first
        XCTAssertEqual(fn?.calls.map(\.callee), ["try_module_get", "module_put", "bus_set_iommu"])
        XCTAssertEqual(fn?.calls.first?.arguments, ["ops->owner"])
        XCTAssertEqual(fn?.calls.last?.arguments, ["&pci_bus_type", "NULL"])
        XCTAssertEqual(fn?.assignsMembers["owner"], "THIS_MODULE")
    }

    func testContinuationsCRLFAndMacroBodies() {
        let f = scan(
            "#define SET_OWNER(ops) \\\r\n\tdo { (ops)->owner = THIS_MODULE; } while (0)\r\n/* a /* b */ int c;\r\nint d(void)\r\n{\r\n\treturn 0;\r\n}\r\n",
            path: "include/linux/x.h")
        XCTAssertEqual(f.macros.first?.name, "SET_OWNER")
        XCTAssertEqual(f.macros.first?.isFunctionLike, true)
        XCTAssertEqual(f.macros.first?.bodyMentions, ["THIS_MODULE", "owner"])
        XCTAssertTrue(f.definitions.contains { $0.name == "c" })
        XCTAssertTrue(f.definitions.contains { $0.name == "d" })
    }

    func testStructMembersIncludingFunctionPointersAndNested() {
        let f = scan(
            """
            struct iommu_ops {
            	bool (*capable)(enum iommu_cap);
            	int (*map)(struct iommu_domain *domain, unsigned long iova);
            	union {
            		int a;
            		long b;
            	};
            	unsigned long pgsize_bitmap __aligned(8);
            	struct module *owner;
            	unsigned int flags : 4;
            };
            """, path: "include/linux/iommu.h", depth: .symbols)
        XCTAssertEqual(f.structs.first?.tag, "iommu_ops")
        XCTAssertEqual(
            f.structs.first?.members, ["capable", "map", "a", "b", "pgsize_bitmap", "owner", "flags"])
    }

    func testKnRAndInvocationWithoutSemicolon() {
        let f = scan(
            """
            subsys_initcall(foo_init)

            MODULE_LICENSE("GPL");
            """)
        XCTAssertEqual(f.invocations.map(\.name), ["subsys_initcall", "MODULE_LICENSE"])
    }

    func testHostileInputNeverTraps() {
        let nasty: [String] = [
            "/* unterminated comment", "\"unterminated string\nint x;",
            "#if\n#elif\n#else\n#else\n#endif\n#endif\n", "}}}}{{{{",
            String(repeating: "(", count: 10_000), String(repeating: "{", count: 10_000),
            String(repeating: "#if A\n", count: 2_000),
            "int x = '\\", "\u{0}\u{1}\u{ff}garbage\u{0}", "#define", "#include <", "EXPORT_SYMBOL(",
            "struct {",
        ]
        for text in nasty {
            let f = scan(text)
            _ = f.definitions.count
        }
        var bytes: [UInt8] = Array("int ok(void) { return 0; }\n".utf8)
        bytes += [0xff, 0xfe, 0x00, 0x80]
        let f = bytes.withUnsafeBytes { CSourceScanner.scan(path: "x.c", bytes: $0, depth: .full) }
        XCTAssertTrue(f.definitions.contains { $0.name == "ok" })
        XCTAssertFalse(scan("/* unterminated").diagnostics.isEmpty)
    }

    func testElifChainsStayLinear() {
        var text = "#ifdef CONFIG_A0\n#define X 0\n"
        for i in 1..<60 { text += "#elif defined CONFIG_A\(i)\n#define X \(i)\n" }
        text += "#endif\n"
        let f = scan(text, path: "include/x.h", depth: .symbols)
        XCTAssertEqual(f.macros.count, 60)
        if case .and(let parts) = f.macros.last!.condition {
            XCTAssertEqual(parts.count, 60, "59 negated tests and the branch's own")
        } else {
            XCTFail("expected a conjunction")
        }
    }

    func testAssemblyExportsAndEntries() {
        let f = scan(
            "#include <linux/linkage.h>\nENTRY(memcpy)\n\tret\nENDPROC(memcpy)\nEXPORT_SYMBOL(memcpy)\n",
            path: "arch/arm64/lib/memcpy.S")
        XCTAssertEqual(f.exports.map(\.name), ["memcpy"])
        XCTAssertEqual(f.definitions.map(\.name), ["memcpy"])
    }
}
