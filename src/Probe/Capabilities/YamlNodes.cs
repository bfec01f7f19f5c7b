using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Outpost.Probe.Capabilities;

/// <summary>
/// Reading YamlDotNet's node tree by hand, for the capabilities' data files (fingerprint rules, vulnscan checks):
/// each helper takes the shape it expects or throws a <see cref="YamlException"/> that points at the node, so a typo
/// in a file fails its load with the line and column.
/// </summary>
internal static class YamlNodes
{
    public static IEnumerable<(string Key, YamlNode Value)> Mapping(YamlNode node) => node is YamlMappingNode mapping
        ? mapping.Children.Select(c => (Text(c.Key), c.Value))
        : throw Expected("a mapping", node);

    public static IEnumerable<YamlNode> Sequence(YamlNode node) => node as YamlSequenceNode ?? throw Expected("a list", node);

    public static string Text(YamlNode node) => node is YamlScalarNode { Value: { } value } ? value : throw Expected("a value", node);

    public static double Number(YamlNode node) =>
        double.TryParse(Text(node), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : throw Expected("a number", node);

    public static int WholeNumber(YamlNode node) =>
        int.TryParse(Text(node), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : throw Expected("a whole number", node);

    public static bool Flag(YamlNode node) => Text(node) switch
    {
        "true" => true,
        "false" => false,
        _ => throw Expected("true or false", node),
    };

    public static YamlException Expected(string what, YamlNode node) => new(node.Start, node.End, $"expected {what} here");

    public static YamlException Unknown(string key, YamlNode node) => new(node.Start, node.End, $"unknown key '{key}'");
}
