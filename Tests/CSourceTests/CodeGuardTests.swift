import CSource
import XCTest

/// C-level config tests (`if (IS_REACHABLE(CONFIG_X))`, `IS_ENABLED(CONFIG_X) && f()`) and
/// `#ifdef` inside initializers put conditions on references, as `#if` around them would.
final class CodeGuardTests: XCTestCase {
    func condition(_ text: String, _ name: String) -> PreprocessorCondition? {
        CSourceScanner.scan(path: "drivers/x/x.c", text: text, depth: .full).references.first { $0.name == name }?
            .condition
    }

    func testIfWithAConfigTestGuardsItsStatement() {
        let text = """
            int w1_add(struct w1_slave *sl)
            {
            	if (IS_REACHABLE(CONFIG_HWMON) && sl->info) {
            		sl->hwmon = hwmon_device_register_with_info(&sl->dev, "w1", NULL);
            	}
            	return w1_notify(sl);
            }
            """
        XCTAssertEqual(condition(text, "hwmon_device_register_with_info"), .config("CONFIG_HWMON", .reachable))
        XCTAssertEqual(condition(text, "w1_notify"), .always, "after the if, nothing is guarded")
    }

    func testShortCircuitOperandsAreGuarded() {
        let text = """
            int isp_init(struct isp *isp)
            {
            	if ((!IS_ENABLED(CONFIG_USB_ISP_HCD) || usb_disabled()) && isp_no_udc(isp))
            		return -ENODEV;
            	return IS_ENABLED(CONFIG_USB_ISP_UDC) ? isp_udc_register(isp) : isp_none(isp);
            }
            """
        XCTAssertEqual(condition(text, "usb_disabled"), .config("CONFIG_USB_ISP_HCD", .enabled))
        XCTAssertEqual(condition(text, "isp_no_udc"), .always)
        XCTAssertEqual(condition(text, "isp_udc_register"), .config("CONFIG_USB_ISP_UDC", .enabled))
        XCTAssertEqual(condition(text, "isp_none"), .not(.config("CONFIG_USB_ISP_UDC", .enabled)))
    }

    func testAnIfWithAnOrGuardsNothing() {
        let text = """
            void f(void)
            {
            	if (IS_ENABLED(CONFIG_A) || want_b())
            		do_it();
            }
            """
        XCTAssertEqual(condition(text, "do_it"), .always)
    }

    func testAFieldUnderIfdefInsideAnInitializer() {
        let text = """
            struct cpufreq_driver k7_driver = {
            	.get		= k7_get,
            #ifdef CONFIG_K7_ACPI
            	.bios_limit	= acpi_processor_get_bios_limit,
            #endif
            	.name		= "k7",
            };
            """
        XCTAssertEqual(condition(text, "acpi_processor_get_bios_limit"), .config("CONFIG_K7_ACPI", .defined))
        XCTAssertEqual(condition(text, "k7_get"), .always)
    }
}

extension CodeGuardTests {
    func testAnEarlyReturnGuardsTheRestOfTheBlock() {
        let text = """
            void ds_hwmon_register(struct device *dev)
            {
            	struct ds *ds = dev_get_drvdata(dev);
            	if (!IS_ENABLED(CONFIG_DS_HWMON) || !ds->sensors)
            		return;
            	ds->hwmon = hwmon_register(dev);
            	if (!ds->hwmon) {
            		ds_warn(dev);
            	}
            }
            int after(void)
            {
            	return later_call();
            }
            """
        XCTAssertEqual(condition(text, "dev_get_drvdata"), .always)
        XCTAssertEqual(condition(text, "hwmon_register"), .config("CONFIG_DS_HWMON", .enabled))
        XCTAssertEqual(condition(text, "ds_warn"), .config("CONFIG_DS_HWMON", .enabled))
        XCTAssertEqual(condition(text, "later_call"), .always, "the next function is not guarded")
    }

    func testACallOfAFileLocalPredicateIsAConfigTest() {
        // Three shapes of a static function that is false unless a config holds: an #ifdef body
        // with `return false` in its #else, `return IS_ENABLED(X) ? value : 0`, and
        // `if (IS_BUILTIN(X) && ...) return true; return false;` — the compiler folds each call
        // to 0 without X, so what it guards is dead there (KVM's sev_guest(), ublk's
        // task-work test).
        let text = """
            static inline bool foo_secure(struct foo *foo)
            {
            #ifdef CONFIG_FOO_SECURE
            	return foo->secure;
            #else
            	return false;
            #endif
            }
            static inline bool foo_secure_enabled(void)
            {
            	return IS_ENABLED(CONFIG_FOO_SECURE) ? max_secure : 0;
            }
            static inline bool foo_direct(struct foo *foo)
            {
            	if (IS_BUILTIN(CONFIG_FOO) && !(foo->flags & 1))
            		return true;
            	return false;
            }
            static inline int foo_count(struct foo *foo)
            {
            	if (!foo)
            		return -EINVAL;
            	return 0;
            }
            void foo_destroy(struct foo *foo)
            {
            	if (!foo_secure(foo))
            		return;
            	secure_deactivate(foo);
            }
            int foo_op(struct foo *foo)
            {
            	if (!foo_secure_enabled())
            		return -ENOTTY;
            	return secure_platform_init(foo);
            }
            void foo_queue(struct foo *foo)
            {
            	if (foo_direct(foo))
            		task_work_add(foo);
            	if (foo_count(foo))
            		foo_report(foo);
            }
            """
        XCTAssertEqual(condition(text, "secure_deactivate"), .config("CONFIG_FOO_SECURE", .defined))
        XCTAssertEqual(condition(text, "secure_platform_init"), .config("CONFIG_FOO_SECURE", .enabled))
        XCTAssertEqual(condition(text, "task_work_add"), .config("CONFIG_FOO", .builtin))
        XCTAssertEqual(condition(text, "foo_report"), .always, "a function that can return an error is no predicate")
    }

    func testAMacroThatIsFalseWithoutItsConditionIsAConfigTest() {
        let text = """
            #ifdef CONFIG_FOO_SECURE
            static bool secure_enabled = true;
            #else
            #define secure_enabled false
            #endif
            #define FOO_DEBUG 0
            int foo_ioctl(struct foo *foo)
            {
            	if (!secure_enabled)
            		return -ENOTTY;
            	return secure_guest_init(foo);
            }
            void foo_log(struct foo *foo)
            {
            	if (FOO_DEBUG)
            		foo_dump(foo);
            }
            """
        XCTAssertEqual(condition(text, "secure_guest_init"), .config("CONFIG_FOO_SECURE", .defined))
        XCTAssertEqual(condition(text, "foo_dump"), .always, "an unconditional #define is left alone")
    }
}

