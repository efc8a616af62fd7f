import { Alert, Button, Group, List, Modal, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api } from '../../api/client';
import { check, keys, newCampaignDocument, ProblemError, validCampaignName, type Campaign } from './campaignApi';

/** readableAlert writes an alert's title in the text colour: an orange or
 * yellow title on its tint is under 4.5:1 (axe's color-contrast). */
export const readableAlert = { title: { color: 'var(--mantine-color-text)' } };

/** readableInput keeps a field in error readable: its value in the text
 * colour and its message in a darker red (red.6 on white is 3.6:1). */
const readableInput = { input: { color: 'var(--mantine-color-text)' }, error: { color: 'var(--mantine-color-red-9)' } };

/** ProblemList says why a call was refused: its problems when it lists
 * some, else its message. */
export function ProblemList({ error }: { error: Error }) {
  const { t } = useTranslation();
  const problems = error instanceof ProblemError ? error.problems : [];
  return (
    <Alert color="red" role="alert" title={problems.length > 0 ? error.message : undefined} styles={readableAlert}>
      {problems.length > 0 ? (
        <List size="sm">
          {problems.map((p, i) => (
            <List.Item key={i}>{p.path ? `${p.path}: ${p.message}` : p.message}</List.Item>
          ))}
        </List>
      ) : (
        t('app.error', { message: error.message })
      )}
    </Alert>
  );
}

/** NameDialog asks a campaign's name, checked as the document's rule
 * says, and submits it. */
function NameDialog({
  opened,
  title,
  intro,
  submit,
  onSubmit,
  onClose,
  pending,
  error,
}: {
  opened: boolean;
  title: string;
  intro: string;
  submit: string;
  onSubmit: (name: string) => void;
  onClose: () => void;
  pending: boolean;
  error: Error | null;
}) {
  const { t } = useTranslation();
  const [name, setName] = useState('');
  const [touched, setTouched] = useState(false);
  const bad = name !== '' && !validCampaignName(name);
  const close = () => {
    setName('');
    setTouched(false);
    onClose();
  };
  return (
    <Modal closeButtonProps={{ 'aria-label': t('campaignList.close') }} opened={opened} onClose={close} title={title}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setTouched(true);
          if (validCampaignName(name)) onSubmit(name);
        }}
      >
        <Stack>
          <Text size="sm">{intro}</Text>
          <TextInput
            label={t('campaignList.nameLabel')}
            description={t('campaignList.nameHint')}
            value={name}
            onChange={(e) => setName(e.currentTarget.value.trim())}
            error={(bad || (touched && name === '')) && t('campaignList.nameInvalid')}
            data-autofocus
            required
            styles={readableInput}
          />
          {error && <ProblemList error={error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {t('campaignList.cancel')}
            </Button>
            <Button type="submit" loading={pending} disabled={name === '' || bad}>
              {submit}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** NewCampaign asks a name, stores the smallest document as the new
 * campaign's draft, and opens it on the canvas. */
export function NewCampaign() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [opened, setOpened] = useState(false);
  const create = useMutation({
    mutationFn: async (name: string) => {
      // A name already taken (a campaign, or a new one's draft) is said
      // so: the draft of a campaign with no draft stored is at revision 0,
      // which the new document would replace.
      const known = await api.GET('/api/campaigns/{name}/draft', { params: { path: { name } } });
      if (known.response.status !== 404) {
        check(known);
        throw new Error(t('campaignList.nameTaken', { name }));
      }
      check(await api.PUT('/api/campaigns/{name}/draft', { params: { path: { name } }, body: { document: newCampaignDocument(name), revision: 0 } }));
      return name;
    },
    onSuccess: (name) => {
      void client.invalidateQueries({ queryKey: keys.list });
      navigate(`/campaigns/${encodeURIComponent(name)}/edit`);
    },
  });
  return (
    <>
      <Button onClick={() => setOpened(true)}>{t('campaignList.new')}</Button>
      <NameDialog
        opened={opened}
        title={t('campaignList.newTitle')}
        intro={t('campaignList.newIntro')}
        submit={t('campaignList.newSubmit')}
        onSubmit={(name) => create.mutate(name)}
        onClose={() => {
          setOpened(false);
          create.reset();
        }}
        pending={create.isPending}
        error={create.error}
      />
    </>
  );
}

/** Which dialog of a campaign is open. */
export type CampaignDialog = 'duplicate' | 'archive' | 'delete';

/** DuplicateCampaign copies the campaign's latest document under a new
 * name, as a draft, and opens the copy's page. */
export function DuplicateCampaign({ campaign, opened, onClose }: { campaign: Campaign; opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const navigate = useNavigate();
  const duplicate = useMutation({
    mutationFn: async (name: string) => check(await api.POST('/api/campaigns/{name}/duplicate', { params: { path: { name: campaign.name } }, body: { name } })),
    onSuccess: (c) => {
      void client.invalidateQueries({ queryKey: keys.list });
      notifications.show({ color: 'green', closeButtonProps: { 'aria-label': t('campaignList.close') }, message: t('campaignList.duplicated', { from: campaign.name, name: c.name }) });
      close();
      navigate(`/campaigns/${encodeURIComponent(c.name)}`);
    },
  });
  const close = () => {
    duplicate.reset();
    onClose();
  };
  return (
    <NameDialog
      opened={opened}
      title={t('campaignList.duplicateTitle', { name: campaign.name })}
      intro={t('campaignList.duplicateIntro', { name: campaign.name })}
      submit={t('campaignList.duplicateSubmit')}
      onSubmit={(name) => duplicate.mutate(name)}
      onClose={close}
      pending={duplicate.isPending}
      error={duplicate.error}
    />
  );
}

/** ArchiveCampaign archives the campaign (its schedule ends, no run
 * starts) or brings an archived one back, after saying so. */
export function ArchiveCampaign({ campaign, opened, onClose }: { campaign: Campaign; opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const archived = campaign.status === 'archived';
  const change = useMutation({
    mutationFn: async () => {
      const params = { params: { path: { name: campaign.name } } };
      return check(archived ? await api.POST('/api/campaigns/{name}/unarchive', params) : await api.POST('/api/campaigns/{name}/archive', params));
    },
    onSuccess: (c) => {
      client.setQueryData(keys.one(c.name), c);
      void client.invalidateQueries({ queryKey: keys.list });
      notifications.show({ color: 'green', closeButtonProps: { 'aria-label': t('campaignList.close') }, message: t(archived ? 'campaignList.unarchived' : 'campaignList.archived', { name: c.name }) });
      close();
    },
  });
  const close = () => {
    change.reset();
    onClose();
  };
  return (
    <Modal closeButtonProps={{ 'aria-label': t('campaignList.close') }} opened={opened} onClose={close} title={t(archived ? 'campaignList.unarchiveTitle' : 'campaignList.archiveTitle', { name: campaign.name })}>
      <Stack>
        <Text>{t(archived ? 'campaignList.unarchiveIntro' : 'campaignList.archiveIntro')}</Text>
        {change.error && <ProblemList error={change.error} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={close}>
            {t('campaignList.cancel')}
          </Button>
          <Button onClick={() => change.mutate()} loading={change.isPending}>
            {t(archived ? 'campaignList.unarchive' : 'campaignList.archive')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** DeleteCampaign deletes a campaign that never ran; one with runs is
 * refused (has_runs), and the dialog says to archive it instead. */
export function DeleteCampaign({ campaign, opened, onClose, onDeleted }: { campaign: Campaign; opened: boolean; onClose: () => void; onDeleted?: () => void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const remove = useMutation({
    mutationFn: async () => check(await api.DELETE('/api/campaigns/{name}', { params: { path: { name: campaign.name } } })),
    onSuccess: () => {
      client.removeQueries({ queryKey: keys.one(campaign.name) });
      void client.invalidateQueries({ queryKey: keys.list });
      notifications.show({ color: 'green', closeButtonProps: { 'aria-label': t('campaignList.close') }, message: t('campaignList.deleted', { name: campaign.name }) });
      close();
      onDeleted?.();
    },
  });
  const close = () => {
    remove.reset();
    onClose();
  };
  const hasRuns = remove.error instanceof ProblemError && remove.error.reason === 'has_runs';
  return (
    <Modal closeButtonProps={{ 'aria-label': t('campaignList.close') }} opened={opened} onClose={close} title={t('campaignList.deleteTitle', { name: campaign.name })}>
      <Stack>
        <Text>{t('campaignList.deleteIntro', { name: campaign.name })}</Text>
        {hasRuns ? (
          <Alert color="orange" role="alert" title={t('campaignList.hasRunsTitle')} styles={readableAlert}>
            {t('campaignList.hasRuns', { name: campaign.name })}
          </Alert>
        ) : (
          remove.error && <ProblemList error={remove.error} />
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={close}>
            {t('campaignList.cancel')}
          </Button>
          <Button color="red" onClick={() => remove.mutate()} loading={remove.isPending} disabled={hasRuns}>
            {t('campaignList.deleteConfirm', { name: campaign.name })}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
