import KarmayogiCore
import Testing

@Suite struct ListenAddressTests {
    @Test func serveFlagsWinOverTheEnvironment() {
        let variables = ["HOST": "10.0.0.5", "PORT": "9000"]
        #expect(ListenAddress(arguments: ["karmayogi", "serve"], variables: variables) == ListenAddress(host: "10.0.0.5", port: 9000))
        #expect(ListenAddress(arguments: ["karmayogi", "serve", "--port", "8097"], variables: variables).url == "http://10.0.0.5:8097")
        #expect(ListenAddress(arguments: ["karmayogi", "serve", "-H", "example.gov.in", "-p", "80"], variables: [:]).url == "http://example.gov.in:80")
        #expect(ListenAddress(arguments: ["karmayogi", "serve", "--hostname=127.0.0.2", "--port=81"], variables: [:]).url == "http://127.0.0.2:81")
        #expect(ListenAddress(arguments: ["karmayogi", "serve", "--bind", "192.168.1.9:8443"], variables: [:]).url == "http://192.168.1.9:8443")
    }

    @Test func withoutFlagsOrVariablesItIsLoopback8080() {
        #expect(ListenAddress(arguments: ["karmayogi"], variables: [:]).url == "http://127.0.0.1:8080")
        // A port that is no number leaves the default.
        #expect(ListenAddress(arguments: ["karmayogi", "serve", "--port", "eighty"], variables: [:]).port == 8080)
    }

    @Test func wildcardAndIPv6AddressesMakeUsableLinks() {
        #expect(ListenAddress(host: "0.0.0.0", port: 8080).url == "http://localhost:8080")
        #expect(ListenAddress(host: "::1", port: 8080).url == "http://[::1]:8080")
    }
}
