import Testing
@testable import KarmayogiCore

@Suite struct ClientAddressTests {
    let proxies = ["10.0.0.0/8", "127.0.0.1", "fd00::/8"].compactMap(AddressRange.init)

    @Test func thePeerCountsUnlessItIsATrustedProxy() {
        #expect(ClientAddress.resolve(peer: "203.0.113.9", forwardedFor: ["1.2.3.4"], trusted: proxies) == "203.0.113.9")
        #expect(ClientAddress.resolve(peer: "10.1.2.3", forwardedFor: ["1.2.3.4"], trusted: proxies) == "1.2.3.4")
    }

    @Test func takesTheRightMostEntryThatIsNotAProxy() {
        // The client wrote "6.6.6.6" itself; the first proxy appended the real peer, 198.51.100.7; the second proxy 10.0.0.5.
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: ["6.6.6.6, 198.51.100.7", "10.0.0.5"], trusted: proxies) == "198.51.100.7")
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: ["10.0.0.9, 10.0.0.5"], trusted: proxies) == "10.0.0.9")
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: [], trusted: proxies) == "127.0.0.1")
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: ["x\u{0}y, 10.0.0.5"], trusted: proxies) == "xy")
    }

    @Test func readsIPv6AndMappedIPv4() {
        #expect(ClientAddress.bytes(of: "::1") == Array(repeating: 0, count: 15) + [1])
        #expect(ClientAddress.bytes(of: "::ffff:192.0.2.1") == [192, 0, 2, 1])
        #expect(ClientAddress.bytes(of: "[2001:db8::1]") != nil)
        #expect(ClientAddress.bytes(of: "2001:db8:::1") == nil)
        #expect(ClientAddress.bytes(of: "1.2.3.256") == nil)
        #expect(ClientAddress.resolve(peer: "fd12::1", forwardedFor: ["2001:DB8::5"], trusted: proxies) == "2001:db8:0:0:0:0:0:5")
    }

    @Test func rangesMatchTheirPrefixOnly() {
        let range = AddressRange("192.168.4.0/22")!
        #expect(range.contains([192, 168, 7, 255]))
        #expect(!range.contains([192, 168, 8, 0]))
        #expect(AddressRange("1.2.3.4/33") == nil)
        #expect(AddressRange("nonsense") == nil)
        #expect(AddressRange("0.0.0.0/0")!.contains([8, 8, 8, 8]))
    }
}
