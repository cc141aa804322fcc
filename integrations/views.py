"""The brand's webhooks pages (owners and managers): endpoints, their secret and their log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from gigcx.exceptions import ApplicationError
from gigcx.tenancy import EDITOR_ROLES, viewer_for
from gigcx.web import form_add_application_error
from integrations import selectors, services
from integrations.models import EVENTS, WebhookDelivery, WebhookEndpoint
from marketplace.models import Brand
from marketplace.views.core import brand_staff_page

DELIVERIES_SHOWN = 50


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("URL"),
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://hooks.example.com/gigcx"}),
        help_text=_("https, on a public address. We POST signed JSON here."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EVENTS,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )


def _endpoint_or_404(request: HttpRequest, brand: Brand, endpoint_id: int) -> WebhookEndpoint:
    endpoint = selectors.webhook_endpoint_get(
        brand=brand, viewer=viewer_for(request), endpoint_id=endpoint_id
    )
    if endpoint is None:
        raise Http404(gettext("No such webhook endpoint."))
    return endpoint


@brand_staff_page(roles=EDITOR_ROLES)
def webhook_list(request: HttpRequest, brand: Brand) -> HttpResponse:
    """Every endpoint with its last week's tally, and the form to add one."""
    form = EndpointForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                endpoint, secret = services.webhook_endpoint_create(
                    brand=brand, actor=request.user, **form.cleaned_data
                )
            except ApplicationError as exc:
                form_add_application_error(form, exc)
            else:
                messages.success(request, gettext("Endpoint added. Copy its signing secret now."))
                return _show_secret_once(request, brand, endpoint, secret)
    endpoints = selectors.webhook_endpoint_list(brand=brand, viewer=viewer_for(request))
    return render(
        request,
        "integrations/webhook_list.html",
        {"brand": brand, "form": form, "endpoints": endpoints},
        status=status,
    )


def _endpoint_page(
    request: HttpRequest,
    brand: Brand,
    endpoint: WebhookEndpoint,
    *,
    form: EndpointForm | None = None,
    secret: str | None = None,
    status: int = 200,
) -> HttpResponse:
    form = form or EndpointForm(
        initial={
            "url": endpoint.url,
            "description": endpoint.description,
            "events": endpoint.events,
        }
    )
    wanted = request.GET.get("status")
    if wanted not in WebhookDelivery.Status.values:
        wanted = None
    deliveries = selectors.webhook_delivery_list(
        endpoint=endpoint, viewer=viewer_for(request), status=wanted
    )[:DELIVERIES_SHOWN]
    return render(
        request,
        "integrations/webhook_detail.html",
        {
            "brand": brand,
            "endpoint": endpoint,
            "form": form,
            "secret": secret,
            "deliveries": deliveries,
            "status_filter": wanted,
            "statuses": WebhookDelivery.Status.choices,
        },
        status=status,
    )


# A secret just made (a new endpoint, a rotation) is shown on the page the POST redirects
# to, once: kept in the session only until that page is rendered, so reloading it neither
# posts the form again nor shows the secret again.
NEW_SECRET_SESSION_KEY = "integrations.new_secret"  # noqa: S105 - a session key name


def _show_secret_once(
    request: HttpRequest, brand: Brand, endpoint: WebhookEndpoint, secret: str
) -> HttpResponse:
    request.session[NEW_SECRET_SESSION_KEY] = {"endpoint": endpoint.pk, "secret": secret}
    return redirect("integrations:webhook-detail", slug=brand.slug, endpoint_id=endpoint.pk)


def _pop_new_secret(request: HttpRequest, endpoint: WebhookEndpoint) -> str | None:
    shown = request.session.get(NEW_SECRET_SESSION_KEY)
    if not isinstance(shown, dict) or shown.get("endpoint") != endpoint.pk:
        return None
    del request.session[NEW_SECRET_SESSION_KEY]
    return str(shown.get("secret") or "") or None


@brand_staff_page(roles=EDITOR_ROLES)
def webhook_detail(request: HttpRequest, brand: Brand, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint_or_404(request, brand, endpoint_id)
    if request.method != "POST":
        return _endpoint_page(request, brand, endpoint, secret=_pop_new_secret(request, endpoint))
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            services.webhook_endpoint_update(
                endpoint=endpoint, actor=request.user, **form.cleaned_data
            )
        except ApplicationError as exc:
            form_add_application_error(form, exc)
        else:
            messages.success(request, gettext("Saved."))
            return redirect("integrations:webhook-detail", slug=brand.slug, endpoint_id=endpoint.pk)
    endpoint.refresh_from_db()
    return _endpoint_page(request, brand, endpoint, form=form, status=400)


ACTIONS = ("reveal", "rotate", "enable", "disable", "delete")


@brand_staff_page(roles=EDITOR_ROLES)
@require_http_methods(["POST"])
def webhook_action(request: HttpRequest, brand: Brand, endpoint_id: int, action: str) -> Any:
    endpoint = _endpoint_or_404(request, brand, endpoint_id)
    if action not in ACTIONS:
        raise Http404(gettext("No such action."))
    if action == "reveal":
        secret = services.webhook_secret_reveal(endpoint=endpoint, actor=request.user)
        return _endpoint_page(request, brand, endpoint, secret=secret)
    if action == "rotate":
        secret = services.webhook_secret_rotate(endpoint=endpoint, actor=request.user)
        messages.success(
            request, gettext("New secret in force from the next attempt. Copy it now.")
        )
        return _show_secret_once(request, brand, endpoint, secret)
    if action == "delete":
        services.webhook_endpoint_delete(endpoint=endpoint, actor=request.user)
        messages.success(
            request,
            gettext("Deleted %(url)s and its delivery log.") % {"url": endpoint.url},
        )
        return redirect("integrations:webhooks", slug=brand.slug)
    services.webhook_endpoint_update(
        endpoint=endpoint, actor=request.user, is_active=action == "enable"
    )
    messages.success(
        request,
        gettext("Enabled.")
        if action == "enable"
        else gettext("Disabled: nothing is sent until enabled."),
    )
    return redirect("integrations:webhook-detail", slug=brand.slug, endpoint_id=endpoint.pk)


@brand_staff_page(roles=EDITOR_ROLES)
@require_http_methods(["POST"])
def webhook_delivery_replay(
    request: HttpRequest, brand: Brand, endpoint_id: int, delivery_id: int
) -> HttpResponse:
    endpoint = _endpoint_or_404(request, brand, endpoint_id)
    delivery = selectors.webhook_delivery_get(
        endpoint=endpoint, viewer=viewer_for(request), delivery_id=delivery_id
    )
    if delivery is None:
        raise Http404(gettext("No such delivery."))
    try:
        services.webhook_delivery_replay(delivery=delivery, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            gettext("Sending %(message_id)s again now.") % {"message_id": delivery.message_id},
        )
    return redirect("integrations:webhook-detail", slug=brand.slug, endpoint_id=endpoint.pk)
