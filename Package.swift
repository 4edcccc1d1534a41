// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "karmayogi",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "karmayogi", targets: ["karmayogi"]),
        .library(name: "KarmayogiCore", targets: ["KarmayogiCore"]),
        .library(name: "KarmayogiServer", targets: ["KarmayogiServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/vapor/fluent.git", from: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/vapor/jwt.git", from: "5.2.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
    ],
    targets: [
        .target(name: "KarmayogiCore", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .target(
            name: "KarmayogiServer",
            dependencies: [
                "KarmayogiCore",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "JWT", package: "jwt"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Resources")]
        ),
        .executableTarget(name: "karmayogi", dependencies: ["KarmayogiServer"]),
        .executableTarget(name: "catalogue-benchmark", dependencies: ["KarmayogiCore"], path: "Benchmarks/CatalogueSearch"),
        .executableTarget(name: "hello-world", dependencies: [.product(name: "Vapor", package: "vapor")], path: "Benchmarks/HelloWorld"),
        .testTarget(name: "KarmayogiCoreTests", dependencies: ["KarmayogiCore"]),
        .testTarget(
            name: "KarmayogiServerTests",
            dependencies: [
                "KarmayogiServer",
                .product(name: "VaporTesting", package: "vapor"),
                .product(name: "JWT", package: "jwt"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
    ]
)
