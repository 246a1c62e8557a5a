package org.segmentbridge.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MappingFailureTest extends MappingTestSupport {

    @Test
    void conversionFailuresNameMappingFieldPathAndJsonType() {
        Mapping mapping = mapping("""
                fields:
                  - {to: age, from: $.traits.age, type: integer}
                  - {to: total, from: $.traits.total, type: decimal}
                  - {to: vip, from: $.traits.vip, type: boolean}
                  - {to: name, from: $.traits.name}
                  - {to: tags, from: $.traits.tags}
                  - {to: birthday, from: $.traits.birthday, type: date}
                  - {to: seen, from: $.traits.seen, type: datetime}
                """);
        assertThat(failure(mapping, "{'traits': {'age': 'abc'}}"))
                .isEqualTo("mapping m, field 'age' (from $.traits.age): cannot convert a string to integer");
        assertThat(failure(mapping, "{'traits': {'age': true}}"))
                .isEqualTo("mapping m, field 'age' (from $.traits.age): cannot convert a boolean to integer");
        assertThat(failure(mapping, "{'traits': {'total': {'amount': 3}}}"))
                .isEqualTo("mapping m, field 'total' (from $.traits.total): cannot convert an object to decimal");
        assertThat(failure(mapping, "{'traits': {'vip': 2}}"))
                .isEqualTo("mapping m, field 'vip' (from $.traits.vip): cannot convert a number to boolean");
        assertThat(failure(mapping, "{'traits': {'vip': 'maybe'}}"))
                .isEqualTo("mapping m, field 'vip' (from $.traits.vip): cannot convert a string to boolean");
        assertThat(failure(mapping, "{'traits': {'name': {'first': 'Ann'}}}"))
                .isEqualTo("mapping m, field 'name' (from $.traits.name): cannot convert an object to string");
        assertThat(failure(mapping, "{'traits': {'tags': ['a', 'b']}}"))
                .isEqualTo("mapping m, field 'tags' (from $.traits.tags): cannot convert an array to string");
        assertThat(failure(mapping, "{'traits': {'birthday': '01/05/1990'}}"))
                .isEqualTo("mapping m, field 'birthday' (from $.traits.birthday): cannot convert a string to date");
        assertThat(failure(mapping, "{'traits': {'birthday': 19900501}}"))
                .isEqualTo("mapping m, field 'birthday' (from $.traits.birthday): cannot convert a number to date");
        assertThat(failure(mapping, "{'traits': {'seen': 'yesterday'}}"))
                .isEqualTo("mapping m, field 'seen' (from $.traits.seen): cannot convert a string to datetime");
    }

    @Test
    void theMessageNamesThePathThatGaveTheValue() {
        Mapping mapping = mapping("""
                fields:
                  - {to: age, from: [$.traits.age, $.context.traits.age], type: integer}
                """);
        assertThat(failure(mapping, "{'context': {'traits': {'age': 'old'}}}"))
                .isEqualTo("mapping m, field 'age' (from $.context.traits.age): cannot convert a string to integer");
    }

    @Test
    void anEnumValueOutsideTheListFailsWithoutDefault() {
        Mapping mapping = mapping("""
                fields:
                  - {to: "31", from: $.traits.newsletter, type: enum, values: {"true": "1", "false": "2"}}
                """);
        assertThat(failure(mapping, "{'traits': {'newsletter': 'maybe'}}"))
                .isEqualTo("mapping m, field '31' (from $.traits.newsletter): a string is not one of the enum values [true, false]");
        assertThat(failure(mapping, "{'traits': {'newsletter': [true]}}"))
                .isEqualTo("mapping m, field '31' (from $.traits.newsletter): an array is not one of the enum values [true, false]");
    }

    @Test
    void transformFailuresAreReportedLikeConversionFailures() {
        Mapping mapping = mapping("""
                fields:
                  - {to: cents, from: $.properties.total, type: integer, transforms: [{multiply: 100}]}
                  - {to: list, from: $.properties.items, transforms: [{join: ","}]}
                """);
        assertThat(failure(mapping, "{'properties': {'total': 'free'}}"))
                .isEqualTo("mapping m, field 'cents' (from $.properties.total): cannot multiply a string");
        assertThat(failure(mapping, "{'properties': {'items': [{'id': 1}]}}"))
                .isEqualTo("mapping m, field 'list' (from $.properties.items): cannot convert an object to string");
    }

    @Test
    void aBadElementOfAWildcardListFailsTheField() {
        Mapping mapping = mapping("""
                fields:
                  - {to: prices, from: "$.properties.products[*].price", type: decimal}
                """);
        assertThat(failure(mapping, "{'properties': {'products': [{'price': 1}, {'price': 'n/a'}]}}"))
                .isEqualTo("mapping m, field 'prices' (from $.properties.products[*].price): cannot convert a string to decimal");
    }

    @Test
    void aConstantIsNamedAsTheSource() {
        Mapping mapping = mapping("""
                fields:
                  - {to: n, value: many, type: integer}
                """);
        assertThat(failure(mapping, "{}")).isEqualTo("mapping m, field 'n' (value many): cannot convert a string to integer");
    }

    @Test
    void aSkippedConditionNeverFailsEvenWhenRequired() {
        Mapping mapping = mapping("""
                fields:
                  - {to: email, from: $.traits.email, required: true, when: {path: $.type, equals: identify}}
                """);
        assertJson(mapping.apply(event("{'type': 'track'}")), "{}");
        assertThat(failure(mapping, "{'type': 'identify'}"))
                .isEqualTo("mapping m, field 'email' (from $.traits.email): required value is missing");
    }
}
