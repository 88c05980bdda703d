from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def call(function, argument):
    return function(argument)


@register.filter
def field_has_error(form, name):
    return bool(form.errors.get(name))
