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
}
