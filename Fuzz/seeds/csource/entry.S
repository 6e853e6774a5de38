#include <asm/linkage.h>
ENTRY(foo_entry)
	ret
ENDPROC(foo_entry)
EXPORT_SYMBOL(foo_entry)
