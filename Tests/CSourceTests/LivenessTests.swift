import CSource
import XCTest

/// References inside static functions and objects hold only where those are used: the compiler
/// drops a static nobody uses, and the references in it with it.
final class LivenessTests: XCTestCase {
    func references(_ text: String) -> [String: PreprocessorCondition] {
        var out: [String: PreprocessorCondition] = [:]
        for r in CSourceScanner.scan(path: "drivers/tty/x.c", text: text, depth: .full).references {
            out[r.name] = out[r.name].map { .or([$0, r.condition]) } ?? r.condition
        }
        return out
    }

    func testAConsoleUsedOnlyUnderAConfigTest() {
        let refs = references(
            """
            static struct console foo_console = {
            	.device = uart_console_device,
            	.write = foo_console_write,
            };
            static int foo_probe(struct platform_device *pdev)
            {
            	if (IS_ENABLED(CONFIG_FOO_CONSOLE))
            		foo_uart.cons = &foo_console;
            	return uart_add_one_port(&foo_uart, &port);
            }
            static struct platform_driver foo_driver = { .probe = foo_probe };
            module_platform_driver(foo_driver);
            """)
        XCTAssertEqual(refs["uart_console_device"], .config("CONFIG_FOO_CONSOLE", .enabled))
        XCTAssertEqual(refs["uart_add_one_port"], .always)
    }

    func testAStaticFunctionUsedOnlyByDeadCodeLosesItsReferences() {
        let refs = references(
            """
            static int leaf_helper(void)
            {
            	return dropped_call();
            }
            static struct foo_ops legacy_ops = { .probe = leaf_helper };
            static int used_helper(void)
            {
            	if (IS_ENABLED(CONFIG_FOO_LEGACY) && 0)
            		return foo_register(&legacy_ops);
            	return kept_call();
            }
            int foo_entry(void)
            {
            	return used_helper();
            }
            """)
        XCTAssertEqual(refs["dropped_call"], .config("CONFIG_FOO_LEGACY", .enabled), "used only where legacy_ops is")
        XCTAssertEqual(refs["kept_call"], .always)
    }

    func testAStaticNothingNamesKeepsItsReferences() {
        // Used in a way modcheck does not read (a macro pasting its name): not dropped.
        XCTAssertEqual(references("static int hidden(void)\n{\n\treturn hidden_call();\n}\n")["hidden_call"], .always)
    }

    func testAnEarlyconSetupExistsOnlyBuiltIn() {
        let refs = references(
            """
            static int __init foo_early_setup(struct earlycon_device *dev, const char *opt)
            {
            	return fdt_path_offset(initial_boot_params, "/");
            }
            OF_EARLYCON_DECLARE(foo, "vendor,foo-uart", foo_early_setup);
            """)
        XCTAssertEqual(refs["fdt_path_offset"], .not(.config("MODULE", .defined)))
    }

    func testAFunctionAMacroPastesStaysLive() {
        let refs = references(
            """
            static ssize_t speed_show(struct device *dev, struct device_attribute *attr, char *buf)
            {
            	return sprintf(buf, "%d\\n", foo_speed(dev));
            }
            static DEVICE_ATTR_RO(speed);
            """)
        XCTAssertEqual(refs["foo_speed"], .always)
    }

    func testCallbacksPassedToCallsAndPositionalTablesAreUses() {
        let refs = references(
            """
            static void foo_work(struct work_struct *w)
            {
            	work_call();
            }
            static int foo_cb(void)
            {
            	return cb_call();
            }
            static int (*const hooks[])(void) = { foo_cb };
            int foo_init(struct foo *f)
            {
            	INIT_WORK(&f->work, foo_work);
            	return hooks[0]();
            }
            """)
        XCTAssertEqual(refs["work_call"], .always)
        XCTAssertEqual(refs["cb_call"], .always)
    }

    func testALongChainOfStaticsSettlesWhateverTheHashOrder() {
        // cramfs' shape: a static fill_super reached only under IS_ENABLED(CONFIG_X), through a
        // chain of static helpers. The condition must reach the end of any chain, in every
        // process (a fixed number of passes over a Set once stopped short depending on the hash
        // seed, and the reference came out unguarded).
        let n = 60
        var text = ""
        for i in stride(from: n - 1, through: 0, by: -1) {
            let body = i == n - 1 ? "return mtd_like_point(sb);" : "return chain_\(i + 1)(sb);"
            text += "static int chain_\(i)(struct super_block *sb)\n{\n\t\(body)\n}\n"
        }
        text += """
            int foo_get_tree(struct fs_context *fc)
            {
            	if (IS_ENABLED(CONFIG_FOO_MTD))
            		return get_tree_like(fc, chain_0);
            	return -ENOPROTOOPT;
            }

            """
        for path in ["fs/foo/inode.c", "x/inode.c", "drivers/a/b/c.c"] {
            let refs = CSourceScanner.scan(path: path, text: text, depth: .full).references
            XCTAssertEqual(
                refs.first { $0.name == "mtd_like_point" }?.condition, .config("CONFIG_FOO_MTD", .enabled), path)
        }
    }

    func testStaticsUsingEachOtherUnderConditionsSettleQuickly() {
        // Mutually recursive statics, each calling the next under its own #ifdef: the conditions
        // would grow on every round; they settle (as live) instead of growing without bound.
        let n = 300
        var text = ""
        for i in 0..<n {
            text += "static int r\(i)(int x);\n"
        }
        for i in 0..<n {
            text += """
                static int r\(i)(int x)
                {
                #ifdef CONFIG_R\(i % 7)
                	if (x) return r\((i + 1) % n)(x - 1);
                #endif
                #ifdef CONFIG_S\(i % 5)
                	if (x > 2) return r\((i + 7) % n)(x - 2);
                #endif
                	return leaf_call(x);
                }

                """
        }
        text += "int entry(int x)\n{\n\tif (IS_ENABLED(CONFIG_ENTRY))\n\t\treturn r0(x);\n\treturn 0;\n}\n"
        let refs = CSourceScanner.scan(path: "drivers/x/r.c", text: text, depth: .full).references
        XCTAssertNotNil(refs.first { $0.name == "leaf_call" }, "references of live statics are kept")
    }
}

