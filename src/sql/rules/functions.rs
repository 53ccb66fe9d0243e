//! Function calls: Postgres names and special forms mapped onto SQLite's
//! functions or the ones registered in `sql::functions` (position,
//! substring, trim, extract, ceil/floor, bool_and/bool_or/every,
//! stddev/variance, percentile_* WITHIN GROUP, array_agg, avg of the
//! statement's own select list, `pg_catalog.` prefixes).

use sqlparser::ast::{
    CeilFloorKind, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, ObjectName,
    ObjectNamePart, OrderBySort, Query, SelectItem, SetExpr, TrimWhereField,
};

use super::{call, function_name, number, string};

fn rename(function: &mut sqlparser::ast::Function, name: &str) {
    function.name = ObjectName(vec![ObjectNamePart::Identifier(Ident::new(name))]);
}

/// `avg` in the statement's own select list prints as Postgres prints it
/// (`pg_avg`: numeric text with Postgres's scale for integers), also as
/// the one column of a scalar subquery there (what a LATERAL aggregate's
/// column becomes). Elsewhere `avg` stays SQLite's, a number that compares
/// and sorts as one.
pub fn top_level_avg(query: &mut Query) {
    let SetExpr::Select(select) = query.body.as_mut() else {
        return;
    };
    for item in &mut select.projection {
        if let SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } = item {
            let expr = match expr {
                Expr::Subquery(subquery) => match subquery.body.as_mut() {
                    SetExpr::Select(select) if select.projection.len() == 1 => {
                        match &mut select.projection[0] {
                            SelectItem::UnnamedExpr(e)
                            | SelectItem::ExprWithAlias { expr: e, .. } => e,
                            _ => continue,
                        }
                    }
                    _ => continue,
                },
                other => other,
            };
            if let Expr::Function(f) = expr
                && function_name(f) == "avg"
                && f.over.is_none()
            {
                rename(f, "pg_avg");
            }
        }
    }
}

pub fn rewrite(expr: &mut Expr) {
    let replacement = match expr {
        Expr::Position { expr: needle, r#in } => {
            Some(call("instr", vec![(**r#in).clone(), (**needle).clone()]))
        }
        Expr::Substring {
            expr: e,
            substring_from,
            substring_for,
            ..
        } => {
            let mut args = vec![
                (**e).clone(),
                substring_from
                    .as_deref()
                    .cloned()
                    .unwrap_or_else(|| number(1)),
            ];
            if let Some(length) = substring_for {
                args.push((**length).clone());
            }
            Some(call("substr", args))
        }
        Expr::Trim {
            trim_where,
            trim_what,
            expr: e,
            trim_characters,
        } => {
            let name = match trim_where {
                Some(TrimWhereField::Leading) => "ltrim",
                Some(TrimWhereField::Trailing) => "rtrim",
                _ => "btrim",
            };
            let chars = trim_what
                .as_deref()
                .cloned()
                .or_else(|| trim_characters.as_ref().and_then(|c| c.first().cloned()))
                .unwrap_or_else(|| string(" "));
            Some(call(name, vec![(**e).clone(), chars]))
        }
        Expr::Extract { field, expr: e, .. } => Some(call(
            "pg_extract",
            vec![string(field.to_string().to_lowercase()), (**e).clone()],
        )),
        Expr::Ceil { expr: e, field } => match field {
            CeilFloorKind::Scale(_) => None,
            _ => Some(call("ceil", vec![(**e).clone()])),
        },
        Expr::Floor { expr: e, field } => match field {
            CeilFloorKind::Scale(_) => None,
            _ => Some(call("floor", vec![(**e).clone()])),
        },
        Expr::Function(function) => {
            catalog_prefix(function);
            match function_name(function).as_str() {
                "bool_and" | "every" => rename(function, "min"),
                "bool_or" => rename(function, "max"),
                "stddev" | "stddev_samp" => rename(function, "pg_stddev_samp"),
                "stddev_pop" => rename(function, "pg_stddev_pop"),
                "variance" | "var_samp" => rename(function, "pg_var_samp"),
                "var_pop" => rename(function, "pg_var_pop"),
                "array_agg" => rename(function, "pg_array_agg"),
                "character_length" => rename(function, "char_length"),
                name @ ("percentile_cont" | "percentile_disc")
                    if !function.within_group.is_empty() =>
                {
                    let order = function.within_group.remove(0);
                    let descending = matches!(order.options.sort, Some(OrderBySort::Desc));
                    let fraction = match &function.args {
                        FunctionArguments::List(list) => match list.args.first() {
                            Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(e))) => e.clone(),
                            _ => number(0),
                        },
                        _ => number(0),
                    };
                    let mut replacement = call(
                        &format!("pg_{name}"),
                        vec![order.expr, fraction, number(i64::from(descending))],
                    );
                    if let Expr::Function(f) = &mut replacement {
                        f.filter = function.filter.take();
                        f.over = function.over.take();
                    }
                    *expr = replacement;
                    return;
                }
                _ => {}
            }
            None
        }
        _ => None,
    };
    if let Some(replacement) = replacement {
        *expr = replacement;
    }
}

/// `pg_catalog.lower(...)` -> `lower(...)`: functions are registered under
/// their bare names.
fn catalog_prefix(function: &mut sqlparser::ast::Function) {
    if function.name.0.len() == 2
        && matches!(&function.name.0[0], ObjectNamePart::Identifier(i) if i.value.eq_ignore_ascii_case("pg_catalog"))
    {
        function.name.0.remove(0);
    }
}

#[cfg(test)]
mod tests {
    use super::super::translate;

    #[test]
    fn special_forms_become_calls() {
        assert_eq!(
            translate(
                "SELECT position('o' IN name), substring(name FROM 2 FOR 3), trim(both 'x' from s)"
            )
            .unwrap(),
            "SELECT instr(name, 'o'), substr(name, 2, 3), btrim(s, 'x')"
        );
        assert_eq!(
            translate("SELECT extract(year FROM t), ceil(x), pg_catalog.format_type(20, -1)")
                .unwrap(),
            "SELECT pg_extract('year', t), ceil(x), format_type(20, -1)"
        );
        assert_eq!(
            translate(
                "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY a DESC), bool_and(b), avg(c)"
            )
            .unwrap(),
            "SELECT pg_percentile_cont(a, 0.5, 1), min(b), pg_avg(c)"
        );
        assert_eq!(
            translate("SELECT 1 FROM t HAVING avg(c) > 1").unwrap(),
            "SELECT 1 FROM t HAVING avg(c) > 1"
        );
        assert_eq!(
            translate("SELECT (SELECT avg(c) FROM t) WHERE (SELECT avg(c) FROM t) > 1").unwrap(),
            "SELECT (SELECT pg_avg(c) FROM t) WHERE (SELECT avg(c) FROM t) > 1"
        );
    }
}
