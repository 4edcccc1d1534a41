import Testing
@testable import KarmayogiCore

@Suite struct SitePathTests {
    @Test func keepsPathsOnThisSite() {
        for path in ["/", "/my/learning", "/admin/users?org=6F1E&q=a%20b", "/learn/x#item-1", "/%E0%A4%85"] {
            #expect(SitePath.local(path) == path)
        }
    }

    @Test func refusesWhatCouldLeaveTheSiteOrBreakAHeader() {
        let hostile = ["", "evil.example", "https://evil.example", "//evil.example", "/\\evil.example", "\\\\evil", "/a\\b",
                       "/\r\nSet-Cookie: x=1", "/%0d%0aSet-Cookie:x", "/%09/evil", "\t/x", "/x\t", " /x", "/ x", "/%2F%2Fevil.example",
                       "/%5Cevil", "/%zz", "/é", "/%E2%80%A8", "/" + String(repeating: "a", count: 3000)]
        for text in hostile {
            #expect(SitePath.local(text) == nil, "\(text.debugDescription)")
        }
    }

    @Test func componentLeavesOnlyUnreservedCharacters() {
        #expect(SitePath.component("a b/\r\n#?&=é") == "a%20b%2F%0D%0A%23%3F%26%3D%C3%A9")
        #expect(SitePath.component("item-1_x.y~") == "item-1_x.y~")
    }
}
