import CSource
import XCTest

/// Hostile and odd inputs: each test names the trap it guards against.
final class LexerEdgeCaseTests: XCTestCase {
    func scan(_ text: String, path: String = "drivers/x/foo.c", depth: ScanDepth = .full) -> SourceFacts {
        CSourceScanner.scan(path: path, text: text, depth: depth)
    }

    func names(_ f: SourceFacts) -> Set<String> { Set(f.definitions.map(\.name)) }

    func testCommentOpenedInMacroBodyRunsOnPastTheLine() {
        // The comment opened on the #define line swallows the next line into the directive.
        let f = scan(
            """
            #define X /* a */ b /* c
            int swallowed; */
            int real;
            #define Y(v) do { /* { */ (v)->owner = 0; } while (0) // }
            int after_y;
            """)
        XCTAssertEqual(f.macros.map(\.name), ["X", "Y"])
        XCTAssertEqual(names(f), ["real", "after_y"])
        XCTAssertEqual(f.definitions.first { $0.name == "real" }?.line, 3)
    }

    func testStringsAndCharsHoldingCodeAreNotCode() {
        let f = scan(
            """
            static const char *msg = "EXPORT_SYMBOL(fake); /* not a comment";
            static const char quote = '"';
            static const char *esc = "\\"EXPORT_SYMBOL(fake2)\\" \\\\";
            int real(void) { return '}'; }
            EXPORT_SYMBOL(real);
            """)
        XCTAssertEqual(f.exports.map(\.name), ["real"])
        XCTAssertTrue(names(f).isSuperset(of: ["msg", "quote", "esc", "real"]))
        XCTAssertTrue(f.diagnostics.isEmpty, "\(f.diagnostics)")
    }

    func testIfZeroDropsFactsEvenWithUnbalancedBraces() {
        let f = scan(
            """
            #if 0
            int dead_fn(void) {
            	if (x) {
            EXPORT_SYMBOL(dead_fn);
            #else
            int live_fn(void)
            {
            	return 0;
            }
            #endif
            #if 1
            int one(void) { return 1; }
            #endif
            EXPORT_SYMBOL(live_fn);
            """)
        XCTAssertEqual(names(f), ["live_fn", "one"])
        XCTAssertEqual(f.definitions.first { $0.name == "live_fn" }?.condition, .always)
        XCTAssertEqual(f.definitions.first { $0.name == "one" }?.condition, .always)
        XCTAssertEqual(f.exports.map(\.name), ["live_fn"])
    }

    func testContinuationsSplitIdentifiersAndDirectives() {
        let f = scan(
            "int spl\\\nit_name(void)\n{\n\treturn 0;\n}\n"
                + "#if defined(CONFIG_A) && \\\n    IS_ENABLED(CONFIG_B)\nint both;\n#endif\n"
                + "#define LONG(x) \\\n\t((x)->owner = \\\n\t THIS_MODULE)\nint after_long;\n")
        XCTAssertTrue(names(f).contains("split_name"), "\(names(f))")
        XCTAssertEqual(f.definitions.first { $0.name == "split_name" }?.line, 1)
        XCTAssertEqual(
            f.definitions.first { $0.name == "both" }?.condition,
            .and([.config("CONFIG_A", .defined), .config("CONFIG_B", .enabled)]))
        XCTAssertEqual(f.macros.first?.bodyMentions, ["owner", "THIS_MODULE"])
        XCTAssertEqual(f.definitions.first { $0.name == "after_long" }?.line, 13)
    }

    func testKnRDefinitions() {
        let f = scan(
            """
            int old_style(a, b)
            	int a;
            	char *b;
            {
            	return helper(a);
            }
            int modern(void) { return 0; }
            """)
        XCTAssertEqual(names(f), ["old_style", "modern"])
        XCTAssertEqual(f.functions.first?.callees, ["helper"])
    }

    func testCRLFFilesKeepLinesAndFacts() {
        let text = [
            "#ifdef CONFIG_FOO", "int foo_on(void)", "{", "\treturn 1;", "}", "#endif",
            "EXPORT_SYMBOL_GPL(foo_on);", "static const struct of_device_id ids[] = {",
            "\t{ .compatible = \"x,y\" },", "\t{ }", "};",
        ].joined(separator: "\r\n")
        let f = scan(text)
        XCTAssertEqual(f.definitions.first?.name, "foo_on")
        XCTAssertEqual(f.definitions.first?.line, 2)
        XCTAssertEqual(f.definitions.first?.condition, .config("CONFIG_FOO", .defined))
        XCTAssertEqual(f.exports.first?.line, 7)
        XCTAssertEqual(f.exports.first?.condition, .always)
        XCTAssertEqual(f.initializers.first?.fields.first?.value, "\"x,y\"")
    }

    func testConditionForms() {
        let f = scan(
            """
            #ifdef CONFIG_X
            int x_builtin;
            #else
            int x_not_builtin;
            #endif
            #if IS_BUILTIN(CONFIG_B)
            int b;
            #elif IS_MODULE(CONFIG_B)
            int m;
            #elif IS_REACHABLE(CONFIG_R) || defined CONFIG_S
            int r;
            #else
            int neither;
            #endif
            #ifndef CONFIG_N
            int n_off;
            #endif
            #if LINUX_VERSION_CODE > KERNEL_VERSION(4, 0, 0)
            int versioned;
            #endif
            #ifdef __KERNEL__
            int kernel;
            #endif
            """)
        func condition(_ name: String) -> PreprocessorCondition? {
            f.definitions.first { $0.name == name }?.condition
        }
        let builtin = PreprocessorCondition.config("CONFIG_B", .builtin)
        let module = PreprocessorCondition.config("CONFIG_B", .module)
        XCTAssertEqual(condition("x_builtin"), .config("CONFIG_X", .defined))
        XCTAssertEqual(condition("x_not_builtin"), .not(.config("CONFIG_X", .defined)))
        XCTAssertEqual(condition("b"), builtin)
        XCTAssertEqual(condition("m"), .and([.not(builtin), module]))
        XCTAssertEqual(
            condition("r"),
            .and([
                .not(builtin), .not(module),
                .or([.config("CONFIG_R", .reachable), .config("CONFIG_S", .defined)]),
            ]))
        XCTAssertEqual(
            condition("neither"),
            .and([
                .not(builtin), .not(module),
                .not(.or([.config("CONFIG_R", .reachable), .config("CONFIG_S", .defined)])),
            ]))
        XCTAssertEqual(condition("n_off"), .not(.config("CONFIG_N", .defined)))
        if case .opaque = condition("versioned") {} else { XCTFail("version checks are opaque") }
        if case .opaque = condition("kernel") {} else { XCTFail("__KERNEL__ is opaque") }
    }

    func testIncludeGuardIsNoCondition() {
        let f = scan(
            """
            /* SPDX comment */
            #ifndef _LINUX_FOO_H
            #define _LINUX_FOO_H
            struct foo_ops;
            #ifdef CONFIG_FOO
            static inline int foo_get(void) { return 1; }
            #endif
            #endif /* _LINUX_FOO_H */
            """, path: "include/linux/foo.h", depth: .symbols)
        XCTAssertEqual(f.definitions.map(\.name), ["foo_get"], "a tag declaration is no object")
        XCTAssertEqual(f.definitions.first?.condition, .config("CONFIG_FOO", .defined))
        XCTAssertEqual(f.definitions.first?.storage, .staticInline)
        XCTAssertEqual(f.macros.first?.condition, .always)
    }

    func testDefinitionShapes() {
        let f = scan(
            """
            static int __init foo_init(void) { return 0; }
            asmlinkage __visible void notrace start_thing(void) { }
            void __attribute__((noreturn)) die_now(const char *msg)
            {
            	for (;;) ;
            }
            unsigned long
            __weak
            arch_thing(int cpu)
            {
            	return 0;
            }
            void (*pick_handler(int irq))(int)
            {
            	return NULL;
            }
            inline int plain_inline(void) { return 0; }
            int proto_only(int);
            extern int ext_var;
            extern int ext_fn(void);
            int a, *b, c[4] = { 1 };
            static DEFINE_SPINLOCK(foo_lock);
            DEFINE_MUTEX(foo_mutex);
            struct bus_type foo_bus_type = {
            	.name = "foo",
            };
            """)
        let storage = Dictionary(f.definitions.map { ($0.name, $0.storage) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(storage["foo_init"], .staticLinkage)
        XCTAssertEqual(storage["start_thing"], .global)
        XCTAssertEqual(storage["die_now"], .global)
        XCTAssertEqual(storage["arch_thing"], .global)
        XCTAssertEqual(storage["pick_handler"], .global)
        XCTAssertEqual(storage["plain_inline"], .externInline)
        XCTAssertEqual(storage["foo_lock"], .staticLinkage)
        XCTAssertEqual(storage["foo_mutex"], .global)
        XCTAssertEqual(storage["foo_bus_type"], .global)
        for name in ["a", "b", "c"] { XCTAssertEqual(storage[name], .global, name) }
        for name in ["proto_only", "ext_var", "ext_fn", "noreturn", "__attribute__"] {
            XCTAssertNil(storage[name], name)
        }
        XCTAssertEqual(f.definitions.first { $0.name == "arch_thing" }?.line, 9)
        XCTAssertEqual(f.definitions.first { $0.name == "arch_thing" }?.kind, .function)
    }

    func testNestedInitializersArraysAndMacroDefinedStatics() {
        let f = scan(
            """
            #define FOO_MATCH_DATA(name, ver) \\
            static const struct foo_data name = { .version = ver }
            FOO_MATCH_DATA(foo_v1, 1);
            static const struct of_device_id foo_ids[] = {
            	{ .compatible = "foo,v1", .data = &foo_v1 },
            	{ .compatible = "foo,v2", .data = &foo_v2 },
            	{ }
            };
            static struct platform_driver foo_driver = {
            	.driver = {
            		.name = "foo",
            		.pm = &foo_pm_ops,
            		.of_match_table = of_match_ptr(foo_ids),
            	},
            	.probe = foo_probe,
            	.id_table = NULL,
            };
            """)
        XCTAssertEqual(f.definitions.first { $0.name == "foo_v1" }?.storage, .staticLinkage)
        let ids = f.initializers.first { $0.variable == "foo_ids" }
        XCTAssertEqual(ids?.isArray, true)
        XCTAssertEqual(ids?.structType, "of_device_id")
        XCTAssertEqual(ids?.fields.map(\.path), ["compatible", "data"], "the first element only")
        let drv = f.initializers.first { $0.variable == "foo_driver" }
        XCTAssertEqual(
            drv?.fields.map(\.path),
            ["driver.name", "driver.pm", "driver.of_match_table", "probe", "id_table"])
        XCTAssertEqual(drv?.fields.first { $0.path == "driver.pm" }?.value, "&foo_pm_ops")
        XCTAssertEqual(drv?.isStatic, true)
        XCTAssertEqual(drv?.isConst, false)
        let references = Set(f.references.map(\.name))
        XCTAssertTrue(
            references.isSuperset(of: ["foo_v1", "foo_pm_ops", "of_match_ptr", "foo_probe"]), "\(references)")
        XCTAssertFalse(references.contains("NULL"))
        XCTAssertFalse(references.contains("FOO_MATCH_DATA"), "a macro of the file is no symbol")
    }

    func testCallsThroughMembersLocalsAndParametersAreNoReferences() {
        let f = scan(
            """
            static int run(struct foo *foo, void (*done)(int), int (*checks[])(void))
            {
            	int (*op)(void) = foo->ops->pick;
            	void (*local_cb)(int);
            	int err = sizeof(struct foo) + alignof(int);
            	local_cb = done;
            	foo->ops->start(foo);
            	foo->bar.stop(foo);
            	(*op)();
            	op();
            	local_cb(err);
            	done(err);
            	if (__builtin_expect(err, 0))
            		return external_fn(foo) + typeof_thing;
            	return other_external(&err, &global_state);
            }
            """)
        let calls = Set(f.references.filter { $0.kind == .call }.map(\.name))
        XCTAssertEqual(calls, ["external_fn", "other_external"])
        let addressed = Set(f.references.filter { $0.kind == .addressTaken }.map(\.name))
        XCTAssertEqual(addressed, ["global_state"])
        XCTAssertEqual(f.references.first?.function, "run")
        XCTAssertEqual(f.functions.first?.callees, ["external_fn", "other_external"])
    }

    func testOneReferencePerNameKindAndCondition() {
        let f = scan(
            """
            int f(void)
            {
            	helper();
            	helper();
            #ifdef CONFIG_X
            	helper();
            #endif
            	return helper();
            }
            """)
        let helpers = f.references.filter { $0.name == "helper" }
        XCTAssertEqual(helpers.count, 2)
        XCTAssertEqual(helpers.map(\.line), [3, 6])
        XCTAssertEqual(helpers.last?.condition, .config("CONFIG_X", .defined))
    }

    func testStructMembersDeclaratorListsAndAttributes() {
        let f = scan(
            """
            struct queue {
            	union {
            		u64 val;
            		struct {
            			u32 prod, cons;
            		};
            	} ____cacheline_aligned_in_smp;
            	int (*const map)(void);
            	void (*unmap)(struct queue *q, unsigned long iova);
            	struct module *owner;
            	unsigned int a : 1, b : 2;
            	char name[16];
            };
            """, path: "include/linux/q.h", depth: .symbols)
        XCTAssertEqual(
            f.structs.first?.members, ["val", "prod", "cons", "map", "unmap", "owner", "a", "b", "name"])
    }

    func testBinaryGarbageNulAndUnterminatedInputsNeverTrap() {
        var bytes: [UInt8] = Array("int before(void) { return 0; }\n".utf8)
        bytes += [0x00, 0xff, 0xfe, 0xc3, 0xa9, 0x00, 0x0a]
        bytes += Array("int after_garbage;\n/* never closed".utf8)
        let f = bytes.withUnsafeBytes {
            CSourceScanner.scan(path: "drivers/x/bin.c", bytes: $0, depth: .full)
        }
        XCTAssertTrue(names(f).isSuperset(of: ["before", "after_garbage"]), "\(names(f))")
        XCTAssertTrue(f.diagnostics.contains { $0.message.contains("unterminated comment") })

        let empty = [UInt8]().withUnsafeBytes { CSourceScanner.scan(path: "e.c", bytes: $0, depth: .full) }
        XCTAssertTrue(empty.definitions.isEmpty)
        for text in ["\"never closed", "'", "#if 1\n{", "int f(void) {", "#endif\n#else\n", "\\", "/", "#"] {
            _ = scan(text)
            _ = scan(text, depth: .symbols)
        }
        XCTAssertFalse(scan("#endif\n").diagnostics.isEmpty)
        XCTAssertFalse(scan("#if A\nint x;\n").diagnostics.isEmpty)
    }

    func testDeepNestingIsIterative() {
        let deep =
            "int f(void) " + String(repeating: "{ (", count: 50_000) + String(repeating: ") }", count: 50_000)
        let f = scan(deep)
        XCTAssertEqual(f.definitions.first?.name, "f")
        let symbols = scan(String(repeating: "{", count: 100_000) + "int x;", depth: .symbols)
        XCTAssertFalse(symbols.diagnostics.isEmpty)
        var conditions = ""
        for i in 0..<500 { conditions += "#if defined(CONFIG_A\(i)) && (!IS_ENABLED(CONFIG_B) || (((1))))\n" }
        _ = scan(conditions + "int x;\n", depth: .symbols)
    }

    func testAssemblyFiles() {
        let f = scan(
            """
            /* ENTRY(in_comment) */
            #include <linux/linkage.h>
            #ifdef CONFIG_FAST
            ENTRY(fast_copy)
            	ret
            ENDPROC(fast_copy)
            EXPORT_SYMBOL(fast_copy)
            #endif
            SYM_FUNC_START(__memset)
            EXPORT_SYMBOL_GPL(__memset);
            #define SHIFT 3
            """, path: "arch/x/lib/copy.S")
        XCTAssertEqual(f.definitions.map(\.name), ["fast_copy", "__memset"])
        XCTAssertEqual(f.definitions.first?.condition, .config("CONFIG_FAST", .defined))
        XCTAssertEqual(f.exports.map(\.name), ["fast_copy", "__memset"])
        XCTAssertEqual(f.exports.map(\.flavour), [.plain, .gpl])
        XCTAssertEqual(f.macros.map(\.name), ["SHIFT"])
        XCTAssertEqual(f.includes, ["linux/linkage.h"])
    }

    func testSymbolsDepthSkipsBodies() {
        let text = """
            static int helper(void) { return other(); }
            int api(void) { return helper(); }
            EXPORT_SYMBOL_NS_GPL(api, FOO);
            static struct platform_driver d = { .probe = helper };
            struct foo { int a; };
            """
        let f = scan(text, depth: .symbols)
        XCTAssertEqual(f.definitions.map(\.name), ["helper", "api", "d"])
        XCTAssertEqual(f.exports.first?.flavour, .nsGpl("FOO"))
        XCTAssertTrue(f.references.isEmpty)
        XCTAssertTrue(f.functions.isEmpty)
        XCTAssertTrue(f.initializers.isEmpty)
        XCTAssertTrue(f.structs.isEmpty, "structs only from headers at symbols depth")
    }
}
