import CSource
import XCTest

/// Declarations, enumerators, block-scope locals and function heads behind attribute macros: the
/// facts that decide whether a name in a module can be a link-time reference at all.
final class DeclarationTests: XCTestCase {
    func scan(_ text: String, path: String = "drivers/x/foo.c", depth: ScanDepth = .full) -> SourceFacts {
        CSourceScanner.scan(path: path, text: text, depth: depth)
    }

    func declared(_ f: SourceFacts) -> [String: SymbolKind] {
        Dictionary(f.declarations.map { ($0.name, $0.kind) }, uniquingKeysWith: { a, _ in a })
    }

    func referenced(_ f: SourceFacts, in function: String? = nil) -> Set<String> {
        Set(f.references.filter { function == nil || $0.function == function }.map(\.name))
    }

    // MARK: Declarations

    static let prototypes = """
        int foo(struct device *dev);
        extern void bar(void) __attribute__((noreturn));
        void __iomem *baz(int) __must_check;
        int qux(int), quux(void);
        __printf(2, 3) int dev_x(const struct device *d, const char *fmt, ...);
        __foo_attr(3) u32 attr_proto(void);
        int hold(struct mutex *m) __acquires(m);
        void *alloc_thing(size_t size, gfp_t flags) __assume_unknown_alignment __malloc;
        struct iommu_group *group_of(struct device *dev);
        void (*get_handler(int irq))(int);
        extern struct bus_type platform_bus_type;
        extern int a, *b, c[4];
        extern const struct iommu_ops foo_ops;
        extern int (*hook)(int);
        extern char __start_table[], __stop_table[];
        static int static_proto(int);
        static inline void static_inline_proto(void);
        static inline int inline_def(void) { return 0; }
        typedef int (*handler_t)(int);
        typedef struct foo foo_t;
        typedef void fn_t(int);
        struct tag_only;
        union u_tag;
        enum e_tag;
        struct defined_tag *tag_var;
        int defined_var;
        int defined_fn(void) { return 0; }
        """

    func testPrototypesAndExternObjectsAreDeclarations() {
        for (path, depth) in [("drivers/x/foo.c", ScanDepth.full), ("include/linux/foo.h", .symbols)] {
            let f = scan(DeclarationTests.prototypes, path: path, depth: depth)
            let d = declared(f)
            for name in [
                "foo", "bar", "baz", "qux", "quux", "dev_x", "attr_proto", "hold", "alloc_thing", "group_of",
                "get_handler",
            ] {
                XCTAssertEqual(d[name], .function, "\(name) in \(path): \(f.declarations)")
            }
            for name in [
                "platform_bus_type", "a", "b", "c", "foo_ops", "hook", "__start_table", "__stop_table",
            ] {
                XCTAssertEqual(d[name], .variable, "\(name) in \(path): \(f.declarations)")
            }
            let notDeclared = [
                "static_proto", "static_inline_proto", "inline_def", "handler_t", "foo_t", "fn_t", "tag_only",
                "u_tag", "e_tag", "defined_tag", "tag_var", "defined_var", "defined_fn", "__printf",
                "__foo_attr",
                "__acquires", "__attribute__", "__must_check", "m", "dev", "irq", "struct", "int",
            ]
            for name in notDeclared { XCTAssertNil(d[name], "\(name) in \(path)") }
            XCTAssertEqual(f.declarations.count, 19, "\(f.declarations.map(\.name))")
            // A declaration defines nothing; the definitions around them are unchanged.
            let defined = Dictionary(
                f.definitions.map { ($0.name, $0.storage) }, uniquingKeysWith: { a, _ in a })
            XCTAssertEqual(
                Set(defined.keys), ["inline_def", "tag_var", "defined_var", "defined_fn"], "\(f.definitions)")
            XCTAssertEqual(defined["inline_def"], .staticInline)
            XCTAssertEqual(defined["defined_var"], .global)
        }
        let f = scan(DeclarationTests.prototypes)
        XCTAssertEqual(f.declarations.first { $0.name == "qux" }?.line, 4)
        XCTAssertEqual(f.declarations.first { $0.name == "c" }?.line, 12)
    }

    func testPrototypesHandedToAMacroAreDeclarations() {
        let f = scan(
            """
            ACPI_EXTERNAL_RETURN_STATUS(acpi_status
            			    acpi_evaluate_thing(acpi_handle object, u32 count))
            ACPI_HW_DEPENDENT_RETURN_VOID(void acpi_stub_thing(u32 value))
            ACPI_HW_DEPENDENT_RETURN_VOID(static void acpi_local_thing(u32 value))
            EXPORT_SYMBOL(exported_thing);
            module_init(foo_init);
            """, path: "include/acpi/acpixf.h", depth: .symbols)
        XCTAssertEqual(f.declarations.map(\.name), ["acpi_evaluate_thing", "acpi_stub_thing"])
    }

    func testObjectsDeclaredWithAnAggregateOrByAStaticMacro() {
        let f = scan(
            """
            static struct {
            	int ram_io;
            } boards[MAX_BOARD];
            static struct {
            	struct mutex mutex;
            } smc = {
            	.mutex = __MUTEX_INITIALIZER(smc.mutex),
            	.handler = smc_handler,
            };
            static const struct board_info {
            	const char *name;
            } board_info[] = {
            	{ .name = "a" },
            };
            struct pair { int a, b; } first_pair, *pair_ptr;
            typedef struct { int x; } point_t;
            struct tag_only_def { int y; };
            struct attributed { int z; } __packed;
            static SIMPLE_DEV_PM_OPS(foo_pm_ops, foo_suspend, foo_resume);
            static LED_DEVICE(kbd_led, 255);
            BLOCKING_NOTIFIER_HEAD(foo_chain);
            static ATOMIC_NOTIFIER_HEAD(bar_chain);
            static DEFINE_MUTEX(foo_lock);
            static int after;
            """)
        let defined = Dictionary(f.definitions.map { ($0.name, $0.storage) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(defined["boards"], .staticLinkage)
        XCTAssertEqual(defined["smc"], .staticLinkage)
        XCTAssertEqual(defined["board_info"], .staticLinkage)
        XCTAssertEqual(defined["first_pair"], .global)
        XCTAssertEqual(defined["pair_ptr"], .global)
        XCTAssertEqual(defined["foo_pm_ops"], .staticLinkage)
        XCTAssertEqual(defined["kbd_led"], .staticLinkage)
        XCTAssertEqual(defined["foo_chain"], .global)
        XCTAssertEqual(defined["bar_chain"], .staticLinkage)
        XCTAssertEqual(defined["foo_lock"], .staticLinkage)
        XCTAssertEqual(defined["after"], .staticLinkage)
        for name in ["point_t", "tag_only_def", "__packed", "attributed", "pair", "ram_io", "x", "MAX_BOARD"]
        {
            XCTAssertNil(defined[name], name)
        }
        XCTAssertEqual(f.initializers.map(\.variable), ["board_info"])
        XCTAssertEqual(referenced(f), ["__MUTEX_INITIALIZER", "smc_handler"])
    }

    func testBuildDefinedMacrosAreNoReferences() {
        let f = scan(
            """
            static struct platform_driver foo_driver = {
            	.driver = { .name = KBUILD_MODNAME },
            	.nr_ports = CONFIG_FOO_NR_PORTS,
            	.probe = foo_probe,
            };
            static const char *tag = KBUILD_BASENAME;
            """)
        XCTAssertEqual(referenced(f), ["foo_probe"])
    }

    // MARK: Enumerators

    func testEnumeratorsAreStaticNamesNotReferences() {
        let f = scan(
            """
            enum color { RED, GREEN = 2, BLUE = GREEN + 1, };
            typedef enum { MODE_A, MODE_B = BIT(3), } mode_t;
            enum { ANON_ONE = (1 << 2), ANON_TWO };
            #ifdef CONFIG_FOO
            enum { COND_ONE };
            #endif
            enum wide {
            	WIDE_A = FIELD(1, 2),
            #ifdef CONFIG_BAR
            	WIDE_B,
            #endif
            	WIDE_C = sizeof(struct foo),
            };
            struct with_enum {
            	enum { INNER_A, INNER_B } state;
            	int x;
            };
            static const struct foo_desc desc = {
            	.type = FOO_TYPE,
            	.mode = MODE_B,
            	.probe = real_probe,
            };
            """)
        let enumerators = f.definitions.filter { $0.kind == .enumerator }
        XCTAssertEqual(
            enumerators.map(\.name),
            [
                "RED", "GREEN", "BLUE", "MODE_A", "MODE_B", "ANON_ONE", "ANON_TWO", "COND_ONE", "WIDE_A",
                "WIDE_B",
                "WIDE_C", "INNER_A", "INNER_B",
            ])
        XCTAssertTrue(enumerators.allSatisfy { $0.storage == .staticLinkage })
        XCTAssertEqual(
            enumerators.first { $0.name == "COND_ONE" }?.condition, .config("CONFIG_FOO", .defined))
        XCTAssertEqual(enumerators.first { $0.name == "WIDE_B" }?.condition, .config("CONFIG_BAR", .defined))
        XCTAssertEqual(enumerators.first { $0.name == "WIDE_C" }?.condition, .always)
        XCTAssertEqual(enumerators.first { $0.name == "BLUE" }?.line, 1)
        XCTAssertFalse(
            f.definitions.contains { $0.name == "mode_t" || $0.name == "BIT" || $0.name == "FIELD" })
        // The enumerator of this file is no reference; a header's (FOO_TYPE) is resolved by the
        // model, which sees it in the header's facts.
        XCTAssertEqual(referenced(f), ["FOO_TYPE", "real_probe"])

        let header = scan(
            """
            #ifndef FOO_H
            #define FOO_H
            enum foo_type { FOO_NONE, FOO_TYPE };
            #endif
            """, path: "include/linux/foo.h", depth: .symbols)
        XCTAssertEqual(
            header.definitions.map { "\($0.name) \($0.kind) \($0.storage)" },
            ["FOO_NONE enumerator staticLinkage", "FOO_TYPE enumerator staticLinkage"])
    }

    // MARK: Locals

    func testEveryBlockScopeDeclaratorIsALocal() {
        let f = scan(
            """
            static int locals_demo(struct device *dev, int (*cb)(int), void (*notify)(struct device *),
            		       unsigned long flags __maybe_unused, u8 table[MAX_ENTRIES])
            {
            	int ret;

            	ret = setup(dev);
            	u32 late = 0;
            	for (int i = 0, *p = &ret; i < 4; i++)
            		use(&i, p);
            	u32 a = 1, bf[32] = {0}, wb = 0, v, ivmode = 0;
            	const char *const *names;
            	struct foo **pp;
            	void __iomem *base;
            	volatile int spin;
            	int (*fn)(int) = pick;
            	struct state { int inner_a; } data;
            	struct { int inner_b; } blob __aligned(8);
            	typeof(ret) copy = ret;
            	__typeof__(ret) copy2;
            	static int calls;
            	size_t n;
            	my_type_t t;
            	unsigned long irqflags;
            	LIST_HEAD(list);
            	HLIST_HEAD(hlist);
            	LLIST_HEAD(llist);
            	DECLARE_COMPLETION_ONSTACK(done);
            	DECLARE_WAITQUEUE(wait, current);
            	DEFINE_WAIT(wq);
            	DECLARE_WAIT_QUEUE_HEAD_ONSTACK(wqh);
            	DEFINE_MUTEX(m);
            	static DEFINE_SPINLOCK(slock);
            	DECLARE_BITMAP(mask, 64);
            	enum { LOCAL_A, LOCAL_B } st;
            	struct foo *q = ({ struct foo *tmp = get(); consume(&tmp); tmp; });

            	use(&late, &a, &bf, &wb, &v, &ivmode, &names, &pp, &base, &spin, &data, &blob);
            	use(&copy, &copy2, &calls, &n, &t, &list, &hlist, &llist, &done, &wait, &wq, &wqh);
            	use(&m, &slock, &mask, &st, &q, &flags, &table, &irqflags, &ret);
            	fn(1);
            	cb(2);
            	notify(dev);
            	done(3);
            	return 0;
            }
            """)
        // Declaring macros and attributes stay calls (`__aligned(8)`, `LIST_HEAD(list)`): the
        // model resolves them as header macros.
        let macros: Set<String> = [
            "__aligned", "LIST_HEAD", "HLIST_HEAD", "LLIST_HEAD", "DECLARE_COMPLETION_ONSTACK",
            "DECLARE_WAITQUEUE",
            "DEFINE_WAIT", "DECLARE_WAIT_QUEUE_HEAD_ONSTACK", "DEFINE_MUTEX", "DEFINE_SPINLOCK",
            "DECLARE_BITMAP",
        ]
        XCTAssertEqual(referenced(f), macros.union(["setup", "use", "get", "consume"]), "\(f.references)")
        XCTAssertEqual(
            f.functions.first?.callees.filter { !macros.contains($0) }, ["setup", "use", "get", "consume"])
    }

    func testOrdinaryStatementsDeclareNothing() {
        let f = scan(
            """
            int statements_demo(int a, int *p, int i)
            {
            	a = b;
            	ptr->y = z;
            	*p = 3;
            	foo(bar);
            	switch (a) {
            	case FOO:
            		break;
            	default:
            		w = 2;
            	}
            	if (a) b = c;
            	else x = 1;
            	do x++; while (y);
            	arr[i] = b;
            	i = sizeof(x);
            	total = nr * factor;
            	list_for_each_entry(pos, head, node) count++;
            	(void)unused;
            	if (!a)
            		goto out;
            	return x;
            out:
            	return consume(&b, &bar, &x, &c, &y, &z, &w, &factor, &count, &unused, &arr, &nr, &total);
            }
            """)
        XCTAssertEqual(
            referenced(f),
            [
                "foo", "list_for_each_entry", "consume", "b", "bar", "x", "c", "y", "z", "w", "factor",
                "count",
                "unused", "arr", "nr", "total",
            ], "\(f.references)")
    }

    func testRealReferencesSurviveNextToLocals() {
        let f = scan(
            """
            static int smmu_probe(struct platform_device *pdev)
            {
            	struct arm_smmu_device *smmu = platform_get_drvdata(pdev);
            	LIST_HEAD(list);
            	int err, count = 0;
            	u32 scale;

            	scale = count * global_factor;
            	err = iommu_device_register(&smmu->iommu);
            	if (err)
            		return err;
            	err = bus_set_iommu(&platform_bus_type, &arm_smmu_ops);
            	list_add(&smmu->node, &list);
            	return track(&global_factor, &count, scale);
            }
            """)
        let refs = referenced(f, in: "smmu_probe")
        for name in [
            "platform_get_drvdata", "iommu_device_register", "bus_set_iommu", "platform_bus_type",
            "arm_smmu_ops", "list_add", "track", "global_factor",
        ] {
            XCTAssertTrue(refs.contains(name), "\(name): \(refs)")
        }
        for name in ["list", "count", "err", "smmu", "scale"] { XCTAssertFalse(refs.contains(name), name) }
        XCTAssertEqual(f.references.first { $0.name == "platform_bus_type" }?.kind, .addressTaken)
        XCTAssertEqual(f.functions.first?.calls.map(\.callee), ["iommu_device_register", "bus_set_iommu"])
    }

    func testDeclaratorsInsideMacrosAndTypesMadeByMacros() {
        let f = scan(
            """
            static int read_sensor(struct device *dev)
            {
            	u8 uninitialized_var(temp);
            	int r, uninitialized_var(fresh);
            	BKEY_PADDED(key) tmp;
            	ssize_t (*show)(struct device *, char *) = pick_show;
            	static ssize_t (*const table[4])(struct device *dev) = { NULL };
            	s16 (*chans)[2];
            	char buf[16] __attribute__((aligned(STACK_ALIGN)));

            	r = read_byte(PORT, &temp, &fresh, &tmp, &chans);
            	show(dev, buf);
            	table[0](dev);
            	return report(&r, &global_limit);
            }
            """)
        XCTAssertEqual(
            referenced(f), ["uninitialized_var", "BKEY_PADDED", "read_byte", "report", "global_limit"],
            "\(f.references)")
    }

    func testBlockScopePrototypesAndExternsAreNotLocals() {
        let f = scan(
            """
            void caller(void)
            {
            	extern int shared_counter;
            	int helper(int);
            	u32 other_helper(u32 v);
            	int local_count;

            	helper(1);
            	other_helper(2);
            	bump(&shared_counter, &local_count);
            }
            """)
        XCTAssertEqual(referenced(f), ["helper", "other_helper", "bump", "shared_counter"])
    }

    func testKnRParametersAreLocals() {
        let f = scan(
            """
            int old_style(count, table)
            int count;
            char *table;
            {
            	return walk(&count, &table, &global_table);
            }
            """)
        XCTAssertTrue(f.definitions.contains { $0.name == "old_style" && $0.kind == .function })
        XCTAssertEqual(referenced(f), ["walk", "global_table"])
    }

    // MARK: Function heads behind attribute macros

    func testFunctionNamesBehindAttributeMacrosWithArguments() {
        let f = scan(
            """
            static __always_inline __alloc_size(1) void *kmalloc(size_t size, gfp_t flags)
            {
            	return __kmalloc(size, flags);
            }
            __foo_attr(3) int bar(void) { return probe_bar(); }
            __printf(1, 2) __cold void baz(const char *fmt, ...) { log_it(fmt); }
            __foo_attr(1, 2) __bar_attr("x") static struct device *qux(struct device *dev) { return dev; }
            static int __unknown_attr quux(struct device *dev) { return 0; }
            static int __acquires(lock) locked(struct mutex *lock) __must_hold(lock) { return 0; }
            SYSCALL_DEFINE1(close, unsigned int, fd)
            {
            	return close_fd(fd);
            }
            static void (*pick_handler(int irq))(int)
            {
            	return table_handler(irq);
            }
            """)
        let functions = f.definitions.filter { $0.kind == .function }
        XCTAssertEqual(
            functions.map(\.name), ["kmalloc", "bar", "baz", "qux", "quux", "locked", "pick_handler"])
        XCTAssertEqual(functions.first { $0.name == "kmalloc" }?.storage, .staticInline)
        XCTAssertEqual(functions.first { $0.name == "bar" }?.storage, .global)
        XCTAssertEqual(functions.first { $0.name == "qux" }?.storage, .staticLinkage)
        XCTAssertEqual(
            f.functions.map(\.name), ["kmalloc", "bar", "baz", "qux", "quux", "locked", "pick_handler"])
        // The parameters of the real head are the locals: `size`, `fmt`, `irq` are no references.
        XCTAssertEqual(
            f.references.map { "\($0.function ?? "-"):\($0.name)" },
            ["kmalloc:__kmalloc", "bar:probe_bar", "baz:log_it", "pick_handler:table_handler"],
            "\(f.references)")
    }
}
