import XCTest
final class KconfigPlaceholderTests: XCTestCase { func testNothing() {} }
